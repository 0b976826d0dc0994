from bot.store.store import Commit, SessionRecord, StepRecord, Store, UserRecord

__all__ = ["Commit", "SessionRecord", "StepRecord", "Store", "UserRecord"]
