"""A small blog on nadb with Flask, making the calls the original NADB's blog example makes:
posts stored as JSON bytes under post:<id> with tags (blog_post, published|draft, tag:<t>,
author:<a>), listed and filtered with tag queries, edited in a transaction, deleted, stats and
backups through the API.

  NADB_DATA=./blog_data NADB_STORAGE_ENGINE=fs|redis REDIS_HOST=... REDIS_PORT=... REDIS_DB=...
  python3 examples/python/flask_app.py      # serves on 127.0.0.1:5000

Tests use create_app() with Flask's test client (python/tests/test_flask_app.py)."""

from __future__ import annotations

import atexit
import json
import os
import uuid
from datetime import datetime

from flask import Flask, abort, jsonify, redirect, render_template_string, request, url_for

from nadb import KeyValueStore, KeyValueSync

PAGE = """<!doctype html><title>NADB blog</title><h1>{{ heading }}</h1>
<ul>{% for post in posts %}<li><a href="{{ url_for('view_post', post_id=post.id) }}">{{ post.title }}</a>
 by {{ post.author }} {% for tag in post.tags %}<a href="{{ url_for('by_tag', tag=tag) }}">#{{ tag }}</a> {% endfor %}
</li>{% endfor %}</ul>"""


def post_tags(post: dict) -> list:
    return (["blog_post", "published" if post["published"] else "draft", f"author:{post['author']}"]
            + [f"tag:{t}" for t in post["tags"]])


def create_app(data_folder: str, storage_backend: str = "fs", storage_options: dict | None = None) -> Flask:
    app = Flask(__name__)
    sync = KeyValueSync(flush_interval_seconds=5)
    sync.start()
    kv_store = KeyValueStore(data_folder_path=data_folder, db="blog_engine", buffer_size_mb=2, namespace="posts",
                             sync=sync, storage_backend=storage_backend, storage_options=storage_options,
                             enable_transactions=True, enable_backup=True, enable_indexing=True, cache_size=1000)
    app.config["kv_store"], app.config["kv_sync"] = kv_store, sync

    def load(post_id: str) -> dict | None:
        try:
            return json.loads(kv_store.get(f"post:{post_id}").decode("utf-8"))
        except KeyError:
            return None

    def save(post: dict) -> None:
        kv_store.set(f"post:{post['id']}", json.dumps(post).encode("utf-8"), tags=post_tags(post))

    def posts_with(tags: list, limit: int = 50) -> list:
        found = kv_store.query_by_tags(tags)
        posts = [json.loads(kv_store.get(key).decode("utf-8")) for key, _metadata in found.items()]
        return sorted(posts, key=lambda p: p["created_at"], reverse=True)[:limit]

    def post_from(form: dict, post: dict | None = None) -> dict:
        if not form.get("title") or not form.get("content"):
            abort(400, "Title and content are required")
        now = datetime.now().isoformat()
        post = dict(post or {"id": uuid.uuid4().hex, "created_at": now})
        tags = form.get("tags", [])
        if isinstance(tags, str):
            tags = [t.strip() for t in tags.split(",") if t.strip()]
        post.update(title=form["title"], content=form["content"], author=form.get("author") or "Anonymous",
                    tags=tags, published=form.get("published") in (True, "on", "true"), updated_at=now)
        return post

    @app.get("/")
    def index():
        return render_template_string(PAGE, heading="Posts", posts=posts_with(["blog_post", "published"], 20))

    @app.get("/tag/<tag>")
    def by_tag(tag: str):
        posts = posts_with(["blog_post", f"tag:{tag}"])
        if request.accept_mimetypes.best == "application/json":
            return jsonify(posts)
        return render_template_string(PAGE, heading=f"#{tag}", posts=posts)

    @app.get("/api/posts")
    def list_posts():
        """A page of post ids (published only unless drafts=1), newest keys last."""
        tags = ["blog_post"] if request.args.get("drafts") == "1" else ["blog_post", "published"]
        page = kv_store.query_by_tags_advanced(tags, "AND", page=int(request.args.get("page", 1)),
                                               page_size=int(request.args.get("page_size", 10)))
        return jsonify(keys=page.keys, total=page.total_count, has_more=page.has_more)

    @app.post("/api/posts")
    def create_post():
        post = post_from(request.get_json(silent=True) or request.form)
        save(post)
        return jsonify(post), 201

    @app.get("/post/<post_id>")
    def view_post(post_id: str):
        post = load(post_id)
        if post is None:
            abort(404)
        return jsonify(post)

    @app.put("/api/posts/<post_id>")
    def edit_post(post_id: str):
        """Replaces the post and records the edit, atomically (one transaction)."""
        post = load(post_id)
        if post is None:
            abort(404)
        post = post_from(request.get_json(silent=True) or request.form, post)
        with kv_store.transaction() as tx:
            tx.set(f"post:{post_id}", json.dumps(post).encode("utf-8"), post_tags(post))
            tx.set(f"edit:{post_id}:{post['updated_at']}", post["title"].encode("utf-8"), ["edit"])
        return jsonify(post)

    @app.delete("/api/posts/<post_id>")
    def delete_post(post_id: str):
        if load(post_id) is None:
            abort(404)
        kv_store.delete(f"post:{post_id}")
        return "", 204

    @app.post("/delete/<post_id>")
    def delete_post_form(post_id: str):
        kv_store.delete(f"post:{post_id}")
        return redirect(url_for("index"))

    @app.get("/api/stats")
    def stats():
        published = len(kv_store.query_by_tags(["blog_post", "published"]))
        drafts = len(kv_store.query_by_tags(["blog_post", "draft"]))
        tags = {t for t in kv_store.list_all_tags() if t.startswith("tag:")}
        return jsonify(total_posts=published + drafts, published_posts=published, draft_posts=drafts,
                       total_tags=len(tags), nadb_stats=kv_store.get_stats())

    @app.post("/api/backup")
    def backup():
        metadata = kv_store.create_backup(f"blog_backup_{datetime.now():%Y%m%d_%H%M%S_%f}", compression=True)
        return jsonify(success=True, backup_id=metadata.backup_id, file_count=metadata.file_count,
                       total_size=metadata.total_size)

    @app.post("/api/restore/<backup_id>")
    def restore(backup_id: str):
        if not kv_store.verify_backup(backup_id):
            abort(404)
        kv_store.restore_backup(backup_id, verify_integrity=True, clear_existing=True)
        return jsonify(success=True)

    return app


if __name__ == "__main__":
    engine = os.environ.get("NADB_STORAGE_ENGINE", "fs")
    options = None
    if engine == "redis":
        options = {"host": os.environ.get("REDIS_HOST", "localhost"), "port": int(os.environ.get("REDIS_PORT", 6379)),
                   "db": int(os.environ.get("REDIS_DB", 0)), "password": os.environ.get("REDIS_PASSWORD")}
    blog = create_app(os.environ.get("NADB_DATA", "./blog_data"), engine, options)
    atexit.register(blog.config["kv_store"].close)
    atexit.register(blog.config["kv_sync"].sync_exit)
    blog.run(host="127.0.0.1", port=5000)
