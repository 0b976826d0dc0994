"""Scheduled nudges: subscription plans (plans), slot arithmetic (slots), claiming due rows
with a lease (claims), the sweep that runs turns and sends them (sweep), and the one APScheduler
job per process that runs the sweep (service)."""
