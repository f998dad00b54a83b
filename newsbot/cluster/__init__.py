"""A cluster of `scrapy crawl` workers sharing one frontier and one store in Redis.

Modules: keys (every key, setting and default), connection (clients that ride out outages),
codec (requests as strict JSON), frontier (the queue's Lua steps), scheduler, worker (joining,
heartbeat, recovery), addon (the add-on and the components it installs), __main__ (status).
Nothing is imported here, so that importing `newsbot.cluster.keys` pulls in nothing else.
"""
