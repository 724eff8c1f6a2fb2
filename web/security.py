"""CSRF tokens and error responses.

Every state-changing request (POST/PUT/PATCH/DELETE) must carry the session's token, in the
`X-CSRF-Token` header (JavaScript and API clients) or a `csrf_token` form field (plain forms). A page from
another site cannot read the token, so it cannot make the user's browser change anything here.
Errors a user can cause come back as 4xx with the message; nothing ever returns a stack trace.
"""
from __future__ import annotations

import hmac
import logging
import secrets

from flask import Flask, Response, jsonify, render_template, request, session
from werkzeug.exceptions import HTTPException

from deepstory.errors import USER_ERRORS

log = logging.getLogger(__name__)
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _check_csrf() -> Response | None:
    if request.method not in UNSAFE:
        return None
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    token = session.get("csrf") or ""
    if not token or not hmac.compare_digest(sent.encode(), token.encode()):
        return _error(403, "missing or wrong CSRF token: reload the page (API clients: GET /api/csrf first, keep "
                           "its cookie, and send the token in the X-CSRF-Token header)")
    return None


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _error(status: int, message: str):
    if _wants_json():
        return jsonify(error=message, status=status), status
    return render_template("error.html", status=status, message=message), status


def _size(n: int) -> str:
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n / 1024:.0f} KB"


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")


def _host_name(host: str) -> str:
    """'example.org:5000' -> 'example.org'; '[::1]:5000' -> '::1'."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _check_host() -> Response | None:
    """DNS rebinding: a page on evil.example whose name now points at 127.0.0.1 reaches this server
    with `Host: evil.example`; only the names the studio is served under are answered."""
    from flask import current_app
    allowed = current_app.config.get("ALLOWED_HOSTS") or LOOPBACK_HOSTS
    if "*" in allowed or _host_name(request.host) in {h.lower() for h in allowed}:
        return None
    return _error(400, "unknown host name in the request; if you serve the studio under this name, add it to "
                       "ALLOWED_HOSTS (run_story.py serve --allow-host NAME)")


def _security_headers(resp: Response) -> Response:
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    return resp


def install(app: Flask) -> None:
    app.before_request(_check_host)
    app.before_request(_check_csrf)
    app.after_request(_security_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token

    def _user_error(exc: Exception):
        return _error(400, str(exc))
    for cls in USER_ERRORS:
        app.register_error_handler(cls, _user_error)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        messages = {413: f"the upload is too large; the limit is {_size(app.config.get('MAX_CONTENT_LENGTH') or 0)}"}
        return _error(exc.code or 400, messages.get(exc.code or 0, exc.description or exc.name))

    @app.errorhandler(RecursionError)
    def _too_deep(exc: Exception):         # e.g. a JSON body nested 100,000 levels deep
        return _error(400, "the request is nested too deeply")

    @app.errorhandler(UnicodeError)
    def _bad_unicode(exc: Exception):      # e.g. a lone surrogate ("\\ud800") in a JSON string
        return _error(400, "the request contains invalid Unicode text")

    @app.errorhandler(Exception)
    def _bug(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _error(500, "internal error; the server log has the details")
