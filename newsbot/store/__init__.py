"""The memory of articles already written, shared by every spider and run (see base.SeenStore)."""

from newsbot.store.base import Forgotten as Forgotten
from newsbot.store.base import KnownArticle as KnownArticle
from newsbot.store.base import LedgerEntry as LedgerEntry
from newsbot.store.base import SeenStore as SeenStore
from newsbot.store.base import StoreError as StoreError
from newsbot.store.base import known_article as known_article
from newsbot.store.base import mark_unmarked_lines as mark_unmarked_lines
from newsbot.store.base import store_path_from_setting as store_path_from_setting
from newsbot.store.sqlite import SqliteSeenStore as SqliteSeenStore
