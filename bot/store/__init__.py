from bot.store.store import Commit, SessionRecord, Store, UserRecord

__all__ = ["Commit", "SessionRecord", "Store", "UserRecord"]
