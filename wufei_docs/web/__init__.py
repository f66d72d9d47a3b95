"""`wufei serve`: the library as a local web app (Starlette, server-rendered Jinja2 pages, vendored htmx) and its JSON API."""
