"""WARC files of snapshot pages as others make them: a Wayback Machine download, a Common Crawl file."""

from __future__ import annotations

import io
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.conftest import snapshot_path

WAYBACK_STAMP = "20260115093000"


def _writer(file) -> WARCWriter:
    return WARCWriter(file, gzip=True, warc_version="1.1")


def _response(writer, uri, body, *, date, status="200 OK", content_type="text/html"):
    headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
    return writer.create_warc_record(
        uri, "response", payload=io.BytesIO(body), http_headers=headers, warc_headers_dict={"WARC-Date": date}
    )


def wayback_warc(path: Path, urls: list[str], rewritten: frozenset[str] = frozenset()) -> None:
    """As a Wayback Machine download keeps them: target URIs of web.archive.org, the capture time in
    the URI; `id_` captures as the site sent them, others rewritten by the Wayback Machine."""
    with path.open("wb") as file:
        writer = _writer(file)
        date = "2026-11-01T10:00:00Z"  # when the download was made, not the capture
        for url in urls:
            body = snapshot_path(url).read_bytes()
            flag = "id_"
            if url in rewritten:
                flag = ""
                prefix = f"/web/{WAYBACK_STAMP}/".encode()
                body = body.replace(b'href="https://', b'href="' + prefix + b"https://")
                body = body.replace(b'src="https://', b'src="https://web.archive.org' + prefix + b"https://")
                toolbar = b"<!-- BEGIN WAYBACK TOOLBAR INSERT --><div>Wayback</div>"
                toolbar += b"<!-- END WAYBACK TOOLBAR INSERT -->"
                body = body.replace(b"<body", toolbar + b"<body", 1)
            uri = f"https://web.archive.org/web/{WAYBACK_STAMP}{flag}/{url}"
            record = _response(writer, uri, body, date=date)
            writer.write_record(record)
            request = writer.create_warc_record(
                uri, "request", http_headers=StatusAndHeaders("GET / HTTP/1.1", [], is_http_request=True)
            )
            writer.write_record(request)
        first = urls[0]
        moved = f"https://web.archive.org/web/20240101000000/{first}"
        writer.write_record(_response(writer, moved, b"", date=date, status="302 Found"))
        digest = record.rec_headers.get_header("WARC-Payload-Digest")
        writer.write_record(writer.create_revisit_record(uri, digest, uri, date))
        section = "https://www.spacewar.com/superpowers.html"
        uri = f"https://web.archive.org/web/{WAYBACK_STAMP}id_/{section}"
        writer.write_record(_response(writer, uri, snapshot_path(section).read_bytes(), date=date))


def common_crawl_warc(path: Path, urls: list[str]) -> None:
    """As Common Crawl keeps them: a warcinfo record, then request, response and metadata records
    with plain target URIs and the capture time as WARC-Date."""
    with path.open("wb") as file:
        writer = _writer(file)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "Apache Nutch"}))
        for url in [*urls, "https://example.com/reports/Elsewhere_999.html"]:
            date = "2026-03-02T08:15:00Z"
            request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "x")], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", http_headers=request))
            body = snapshot_path(url).read_bytes() if "example.com" not in url else b"<html></html>"
            writer.write_record(_response(writer, url, body, date=date))
            metadata = writer.create_warc_record(
                url,
                "metadata",
                payload=io.BytesIO(b"fetchTimeMs: 120\r\n"),
                warc_content_type="application/warc-fields",
            )
            writer.write_record(metadata)
