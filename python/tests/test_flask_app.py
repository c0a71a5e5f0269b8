"""examples/python/flask_app.py with Flask's test client, on fs and on Redis: create, list,
view, tag filter, edit, delete, stats, backup and restore."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python"))
import flask_app  # noqa: E402


@pytest.fixture(params=["fs", "redis"])
def client(request, tmp_path):
    options = None
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")
        options = {"host": "127.0.0.1", "port": server.port, "db": 0, "password": ""}
    app = flask_app.create_app(str(tmp_path), request.param, options)
    app.config["kv_store"].flushdb()
    yield app.test_client()
    app.config["kv_store"].flushdb()
    app.config["kv_store"].close()
    app.config["kv_sync"].sync_exit()


def test_the_blog_round_trip(client):
    created = []
    for i, (published, tags) in enumerate([(True, "python,db"), (True, "db"), (False, "python")]):
        response = client.post("/api/posts", json={"title": f"Post {i}", "content": "text", "author": "ana",
                                                   "tags": tags, "published": published})
        assert response.status_code == 201
        created.append(response.get_json())
    assert client.get("/api/posts").get_json()["total"] == 2
    assert client.get("/api/posts?drafts=1&page_size=2").get_json()["has_more"] is True
    post = client.get(f"/post/{created[0]['id']}").get_json()
    assert post["title"] == "Post 0" and post["tags"] == ["python", "db"]
    assert client.get("/post/nope").status_code == 404
    by_tag = client.get("/tag/python", headers={"Accept": "application/json"}).get_json()
    assert {p["title"] for p in by_tag} == {"Post 0", "Post 2"}
    assert b"Post 1" in client.get("/").data and b"Post 2" not in client.get("/").data
    edited = client.put(f"/api/posts/{created[2]['id']}", json={"title": "Post 2 v2", "content": "t",
                                                                "tags": "rust", "published": True})
    assert edited.status_code == 200 and edited.get_json()["tags"] == ["rust"]
    assert client.get("/tag/python", headers={"Accept": "application/json"}).get_json()[0]["title"] == "Post 0"
    assert client.post("/api/posts", json={"title": "", "content": ""}).status_code == 400
    stats = client.get("/api/stats").get_json()
    assert stats["total_posts"] == 3 and stats["published_posts"] == 3 and stats["draft_posts"] == 0
    assert stats["nadb_stats"]["count"] == 4  # three posts and one edit record
    backup = client.post("/api/backup").get_json()
    assert backup["success"] and backup["file_count"] == 4 and backup["total_size"] > 0
    assert client.delete(f"/api/posts/{created[1]['id']}").status_code == 204
    assert client.delete(f"/api/posts/{created[1]['id']}").status_code == 404
    assert client.post(f"/delete/{created[0]['id']}").status_code == 302
    assert client.get("/api/stats").get_json()["total_posts"] == 1
    assert client.post(f"/api/restore/{backup['backup_id']}").status_code == 200
    assert client.get("/api/stats").get_json()["total_posts"] == 3
    assert client.post("/api/restore/nope").status_code == 404
