"""A Flask app that signs people in through modular-login's OpenID Provider with Authlib.

It shows who is signed in, their address and the groups the app may see, refreshes what it knows with the
refresh token, and treats a refused refresh as the person being signed out (their session at the login server
ended). See README.md next to this file.

Settings (environment): LOGIN_ISSUER (https://login.example.org/login), CLIENT_ID and CLIENT_SECRET (from
`npx modular-login app add`), SECRET_KEY (signs Flask's session cookie), HOST and PORT (where this app listens;
port 0 picks a free one).
"""

import html
import os
import secrets
import sys
from urllib.parse import urlencode

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, redirect, session, url_for
from werkzeug.serving import make_server

app = Flask(__name__)
app.secret_key = os.environ.get("SECRET_KEY") or secrets.token_hex(32)
app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")

issuer = os.environ["LOGIN_ISSUER"].rstrip("/")
oauth = OAuth(app)
oauth.register(
    "login",
    client_id=os.environ["CLIENT_ID"],
    client_secret=os.environ["CLIENT_SECRET"],
    server_metadata_url=f"{issuer}/.well-known/openid-configuration",
    # No offline_access: every client gets a refresh token, and Authlib sends these scopes again when it refreshes.
    client_kwargs={"scope": "openid profile email groups", "code_challenge_method": "S256"},
)


def page(body, status=200):
    return f"<!doctype html><html lang=en><title>Flask and modular-login</title><body>{body}</body></html>", status


def show(claims):
    """What the app knows of the signed-in person: name, handle, address (when a provider vouched for one), groups."""
    email = claims.get("email")
    return (
        f'<p id="name">{html.escape(claims.get("name", ""))}</p>'
        f'<p id="handle">{html.escape(claims.get("preferred_username", ""))}</p>'
        f'<p id="email">{html.escape(email) if email else "no address"}</p>'
        f'<p id="groups">{html.escape(",".join(claims.get("groups", [])))}</p>'
    )


@app.get("/")
def index():
    claims = session.get("claims")
    if not claims:
        return page('<p id="signed-out">Signed out. <a id="sign-in" href="/login">Sign in</a></p>')
    return page(show(claims) + '<p><a href="/refresh">Refresh</a> · <a href="/logout">Sign out</a></p>')


@app.get("/login")
def login():
    return oauth.login.authorize_redirect(url_for("callback", _external=True))


@app.get("/callback")
def callback():
    # Checks state, exchanges the code with PKCE, and validates the ID token (signature, issuer, audience, nonce).
    token = oauth.login.authorize_access_token()
    session["token"] = {key: token[key] for key in ("access_token", "refresh_token", "id_token") if key in token}
    session["claims"] = dict(token["userinfo"])
    return redirect(url_for("index"))


@app.get("/refresh")
def refresh():
    """New tokens with the refresh token, and what userinfo says now (groups follow memberships as they are)."""
    token = session.get("token")
    if not token:
        return redirect(url_for("index"))
    try:
        fresh = oauth.login.fetch_access_token(grant_type="refresh_token", refresh_token=token["refresh_token"])
    except OAuthError as error:
        # invalid_grant: the person's session at the login server ended (signed out, revoked, deleted, timed out).
        session.clear()
        return page(f'<p id="refused">Signed out: the login server refused ({html.escape(error.error)}).</p>', 401)
    session["token"] = {**token, **{key: fresh[key] for key in ("access_token", "refresh_token") if key in fresh}}
    session["claims"] = dict(oauth.login.userinfo(token=fresh))
    return redirect(url_for("index"))


@app.get("/logout")
def logout():
    """Signs out here and at the login server (which signs the person out of every app of the site)."""
    token = session.pop("token", None) or {}
    session.clear()
    metadata = oauth.login.load_server_metadata()
    query = {"post_logout_redirect_uri": url_for("index", _external=True), "client_id": os.environ["CLIENT_ID"]}
    if "id_token" in token:
        query["id_token_hint"] = token["id_token"]
    return redirect(f'{metadata["end_session_endpoint"]}?{urlencode(query)}')


if __name__ == "__main__":
    server = make_server(os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "5000")), app)
    # The port chosen, for whoever started this app (port 0 picks a free one).
    print(f"listening on http://{server.host}:{server.port}", file=sys.stderr, flush=True)
    server.serve_forever()
