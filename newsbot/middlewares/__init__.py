"""Spider and downloader middlewares: the crawl policy (walk, ledger, section healing, og:url claims)
and the download rules (network only, robots.txt, block pages, polite retries)."""
