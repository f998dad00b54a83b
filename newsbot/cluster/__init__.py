"""A cluster of `scrapy crawl` workers on scrapy-redis: the add-on names its components (addon: the
scheduler, store, codec) by path when NEWSBOT_REDIS_URL is set, so a plain crawl never imports redis."""

from __future__ import annotations

import os
import socket
import uuid

from scrapy.settings import BaseSettings

from newsbot.keys import CLUSTER_WORKER_SETTING, REDIS_URL_SETTING


class RedisAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get(REDIS_URL_SETTING):
            return
        worker = f"newsbot-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        settings.set(CLUSTER_WORKER_SETTING, worker, "addon")
        settings.set("SCHEDULER", f"{__name__}.addon.ClusterScheduler", "addon")
        settings.set("SCHEDULER_SERIALIZER", f"{__name__}.codec", "addon")
        # At the project's priority: settings.py's defaults yield to it, a -s on the command line wins.
        settings.set("NEWSBOT_STORE_CLASS", "newsbot.store.redis.RedisSeenStore", "project")
