"""The memory of articles already written, shared by every spider and every run.

A scheduled crawl asks it two questions: "is this URL known?" (then the page is not downloaded
again) and "was this body already written under another URL?" (a syndicated copy: dropped). An
article becomes known only once its JSON line is durably on disk (see `newsbot.store.reconcile`).

`base` declares the records and the SeenStore protocol; `sqlite` is the default store (NEWSBOT_STATE),
the cluster's Redis store serves several machines. A crawl opens its store through
newsbot.extensions.store.StoreExtension.
"""

from newsbot.store.base import (
    Forgotten,
    KnownArticle,
    LedgerEntry,
    SectionSummary,
    SeenStore,
    StoreBusyError,
    StoreError,
    default_state_path,
    store_path_from_setting,
)
from newsbot.store.sqlite import SqliteSeenStore

__all__ = [
    "Forgotten",
    "KnownArticle",
    "LedgerEntry",
    "SectionSummary",
    "SeenStore",
    "SqliteSeenStore",
    "StoreBusyError",
    "StoreError",
    "default_state_path",
    "store_path_from_setting",
]
