"""Signals of newsbot's own, beside Scrapy's (scrapy.signals)."""

# Sent by the run report (newsbot.extensions.report.RunReport) once the run's outcome is known, with
# `spider` and `outcome` ("ok" or "failed"). What may be recorded only for a run that did its job
# (a section walk recorded complete) waits for it, not for the finish reason alone.
run_judged = object()
