"""Live sources: feeds, sitemaps and article pages fetched over HTTP and synced into the index.

fetch (the polite HTTP client) -> feeds (RSS/Atom/sitemaps -> items) -> pages (HTML -> Article)
-> sync (per source: fetch, extract, index, remember validators) -> cli (`sync`, `sources`,
`ingest URL`). config reads sources.toml.
"""
