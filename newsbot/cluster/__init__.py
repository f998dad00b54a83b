"""A cluster of `scrapy crawl` workers on scrapy-redis: here the add-on, which only names the cluster's
components when NEWSBOT_REDIS_URL is set, so that a plain crawl never imports redis or scrapy-redis;
addon (the scheduler), store (the seen-articles store in Redis), codec (requests as strict JSON,
scrapy-redis's serializer)."""

from __future__ import annotations

import os
import socket
import uuid

from scrapy.settings import BaseSettings

URL_SETTING, WORKER_SETTING = "NEWSBOT_REDIS_URL", "NEWSBOT_CLUSTER_WORKER"  # the add-on sets the worker


class RedisAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get(URL_SETTING):
            return
        worker = f"newsbot-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        settings.set(WORKER_SETTING, worker, "addon")
        settings.set("SCHEDULER", f"{__name__}.addon.ClusterScheduler", "addon")
        settings.set("SCHEDULER_SERIALIZER", f"{__name__}.codec", "addon")
        # At the project's priority: settings.py's defaults yield to it, a -s on the command line wins.
        settings.set("NEWSBOT_STORE_CLASS", f"{__name__}.store.RedisSeenStore", "project")
