"""A cluster of `scrapy crawl` workers on scrapy-redis: addon (the add-on and its components), store
(the seen-articles store in Redis), codec (requests as strict JSON, scrapy-redis's serializer)."""
