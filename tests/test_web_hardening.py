"""The studio against a hostile page or client: DNS rebinding (Host allow-list), security headers, subtitles
never rendered inline, upload quotas, traversal and encoding tricks on every route, and bodies that used to
end in a 500 (deep nesting, lone surrogates, alias bombs)."""
from __future__ import annotations

import io
import json

import pytest

from storyfiles import PORTRAITS
from webapp import Client, make_app, story_text

BOMB = "---\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n" \
       "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ntitle: *d\n---\nNarrator: hi\n"


@pytest.fixture
def client(tmp_path):
    return Client(make_app(tmp_path, SEED_DEMO=False, MAX_UPLOADS=2))


def test_foreign_host_is_refused_even_with_a_token(client):
    """A rebinding page talks to 127.0.0.1 under its own name: no token, no data, no deletes."""
    story = client.new_story("Narrator: a secret.\n")
    evil = {"Host": "rebind.evil.example:5000"}
    assert client.c.get("/api/csrf", headers=evil).status_code == 400
    assert client.c.get(f"/api/stories/{story['id']}", headers=evil).status_code == 400
    r = client.c.delete(f"/api/stories/{story['id']}", headers={**evil, "X-CSRF-Token": client.token})
    assert r.status_code == 400 and "ALLOWED_HOSTS" in r.get_json()["error"]
    assert client.get(f"/api/stories/{story['id']}").status_code == 200          # still there
    for ok in ("127.0.0.1:5000", "localhost", "[::1]:8080"):
        assert client.c.get("/api/stories", headers={"Host": ok}).status_code == 200, ok


def test_allowed_hosts_setting(tmp_path):
    c = Client(make_app(tmp_path, SEED_DEMO=False, ALLOWED_HOSTS=["studio.example.org", "localhost"]))
    assert c.c.get("/api/stories", headers={"Host": "studio.example.org"}).status_code == 200
    assert c.c.get("/api/stories", headers={"Host": "127.0.0.1"}).status_code == 400


def test_security_headers_on_pages_api_and_errors(client):
    for url in ("/", "/api/stories", "/api/stories/nope", "/static/studio.js"):
        r = client.get(url)
        assert "script-src 'self'" in r.headers["Content-Security-Policy"], url
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("body", [
    "[" * 100_000 + "]" * 100_000,
    '{"text": ' * 50_000 + '"x"' + "}" * 50_000,
])
def test_deeply_nested_json_is_a_400(client, body):
    r = client.post("/api/check", data=body, content_type="application/json")
    assert r.status_code == 400, r.get_json()


@pytest.mark.parametrize("url, method", [("/api/check", "post"), ("/api/stories", "post")])
@pytest.mark.parametrize("text", ["Narrator: \ud800 hi", BOMB, "---\ntitle: " + "[" * 5000 + "\n---\nN: hi",
                                  "Narrator: " + "word " * 3000])
def test_hostile_story_texts_get_4xx(client, url, method, text):
    r = getattr(client, method)(url, data=json.dumps({"text": text}), content_type="application/json")
    if r.status_code in (200, 201):        # check answers, and a draft is saved, with the problem listed
        body = r.get_json()
        check = body.get("check", body)
        assert check["ok"] is False and check["problems"], body
    else:
        assert 400 <= r.status_code < 500, (r.status_code, r.get_json())
        assert "Traceback" not in r.get_data(as_text=True)


def test_upload_count_quota(client):
    data = (PORTRAITS / "astronaut.jpg").read_bytes()
    for _ in range(2):
        r = client.post("/api/portraits", data={"image": (io.BytesIO(data), "a.jpg")},
                        content_type="multipart/form-data")
        assert r.status_code == 201
    r = client.post("/api/portraits", data={"image": (io.BytesIO(data), "a.jpg")}, content_type="multipart/form-data")
    assert r.status_code == 400 and "delete some" in r.get_json()["error"]


def test_photo_upload_is_not_inflated(client):
    data = (PORTRAITS / "grace_hopper.jpg").read_bytes()
    r = client.post("/api/portraits", data={"image": (io.BytesIO(data), "g.jpg")}, content_type="multipart/form-data")
    assert r.status_code == 201
    stored = client.get(r.get_json()["url"]).data
    assert len(stored) < 3 * len(data)


PAYLOADS = ["../../etc/passwd", "..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/secret_key", "..\\..\\secret_key",
            "%00", "a%00b", "%c0%ae%c0%ae/", "....//....//etc", "%252e%252e%252f", "<script>alert(1)</script>",
            "x" * 5000]
ROUTES = ["/api/stories/{p}", "/api/portraits/{p}/image", "/api/renders/{p}", "/api/renders/{p}/events",
          "/api/renders/{p}/files/video", "/api/renders/{p}/files/{p}", "/stories/{p}", "/renders/{p}",
          "/api/voices/preview?voice={p}&text=hi", "/static/{p}"]


@pytest.mark.parametrize("route", ROUTES)
def test_traversal_and_encoding_payloads_on_every_route(client, tmp_path, route):
    secret = (tmp_path / "web" / "secret_key").read_text()
    for p in PAYLOADS:
        r = client.get(route.format(p=p), follow_redirects=True)     # '//' is merged by a 308 first
        body = r.get_data()
        assert 400 <= r.status_code < 500, (route, p, r.status_code)
        assert secret.encode() not in body and b"root:" not in body and b"Traceback" not in body
        if not r.headers["Content-Type"].startswith("application/json"):      # JSON is never rendered
            assert b"<script>alert(1)</script>" not in body
    for p in PAYLOADS[:4]:
        for method in ("put", "delete", "post"):
            r = getattr(client, method)(route.format(p=p), json={"text": "Narrator: hi"})
            assert 400 <= r.status_code < 500, (method, route, p, r.status_code)


@pytest.mark.slow
def test_subtitles_are_downloads_not_documents(client):
    story = client.new_story(story_text("Narrator: <script>alert(1)</script> hello.\n"))
    job = client.wait(client.render(story["id"])["id"])
    assert job["status"] == "done", job
    r = client.get(f"/api/renders/{job['id']}/files/srt")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    vtt = client.get(f"/api/renders/{job['id']}/files/vtt")
    assert vtt.headers["Content-Type"].startswith("text/vtt")


@pytest.mark.slow
def test_download_names_keep_accents(client):
    story = client.new_story(story_text("Narrator: Hello.\n", title="The Lighthouse at Brézé Point/../x"))
    job = client.wait(client.render(story["id"])["id"])
    assert job["status"] == "done", job
    r = client.get(f"/api/renders/{job['id']}/files/video?download=1")
    assert r.status_code == 200
    disposition = r.headers["Content-Disposition"]
    assert "filename*=UTF-8''the-lighthouse-at-br%C3%A9z%C3%A9-point-x.mp4" in disposition, disposition
