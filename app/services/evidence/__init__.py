"""Evidence that outlives its link: source documents archived as their exact bytes (addressed
by SHA-256, stored once), their text read page by page and searchable, and their original
links watched for rot.

- `sniff`: the media type from the bytes themselves (never the client's word).
- `storage`: the bytes, in the database (`document_blobs`, the default) or under
  `DOCUMENT_DIR`; `verify` recomputes every hash.
- `documents`: uploads, links to fetch, reads, where a document is cited.
- `extract`: the text of a stored document (PDF page by page, HTML's main text, plain text),
  bounded in pages, characters and time; run by the worker, never in a request.
- `fetch`: the worker's fetch of a link (guarded like a webhook: no private addresses, bounded
  in size and time), kept with its WARC record; and the link checker.

May import: `shared`, `app.models`, `app.config`. Nothing else in `app.services`.
"""
