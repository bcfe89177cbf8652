"""A bare Flask "hello" app: the floor for the gunicorn requests-per-second figure.

    gunicorn -w 2 -b 127.0.0.1:8000 bench.hello_app:app
"""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"


@app.get("/health")
def health():
    return jsonify(status="ok")
