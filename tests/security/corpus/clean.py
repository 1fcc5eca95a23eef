# ruff: noqa: E501 - samples are kept on one line each so they can be read
"""Ordinary agent text that holds no secret: nothing in it may be redacted.

Reasoning prose, code, ids, hashes, URLs without credentials, numbers and dates, and the
JSON payloads of LLM calls (token counts, tokenizer settings, paging cursors).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

_PNG = base64.b64encode(hashlib.sha512(b"pixel").digest() * 24).decode()

TEXTS: list[str] = [
    "The user asks for a comparison of quarterly revenue across regions; I should check the warehouse first.",
    "The key insight: enterprise grew 23% QoQ while SMB was flat.",
    "tokenizer: cl100k_base",
    "the tokenizer counted 1834 tokens in the prompt and 212 in the completion",
    "Password: must be at least 12 characters and contain a digit.",
    "Token: used for authentication against the internal API, rotated weekly.",
    "reset your password via the settings page, then sign in again",
    "Secret management is handled by Vault; the agent never sees the values.",
    "I will call the API with the authentication token from orgconfig:stripe_api_key.",
    "api_key: orgconfig:openai_production",
    'headers = {"Authorization": f"Bearer {token}"}',
    'api_key = os.environ["OPENAI_API_KEY"]',
    "client = OpenAI(api_key=api_key)",
    "password = getpass.getpass()",
    "db_password = settings.DB_PASSWORD",
    "token_count = len(tokens)",
    "def login(username: str, password: str) -> Session:",
    "if max_tokens > 4096: raise ValueError('too long')",
    "export DB_PASSWORD=${DB_PASSWORD}",
    "password: ${DB_PASSWORD}",
    "secretKeyRef:\n  name: db-secret\n  key: password",
    "The primary key of the orders table is order_id; the foreign key is customer_id.",
    "sort_key = lambda row: row['created_at']",
    "step 01a216f2-a56f-7a73-9f64-31a6729c455c hashed a7cea42de842f63646db490f6d80",
    f"trace {uuid.UUID(int=2**127 + 12345)} and {uuid.UUID(int=2**120 + 99)}",
    "commit 8b1118b376c313ed420e5133ba91307817ed52c2 fixed the join",
    "git log --oneline: 4f2a9c1 Merge branch 'main' of github.com:acme/app",
    f"sha256 {hashlib.sha256(b'report.pdf').hexdigest()} of the report",
    f"md5 {hashlib.md5(b'x').hexdigest()} and sha1 {hashlib.sha1(b'x').hexdigest()}",
    f"<img src=\"data:image/png;base64,{_PNG}\">",
    "see https://docs.example.com/reports/q3?page=2&sort=desc#summary for the definitions",
    "fetch http://localhost:8080/api/v1/users/@me and http://10.0.0.5:5432/",
    "mailto:ops@example.com or https://example.com/@alice/posts",
    "ssh://git@github.com:22/acme/app.git cloned",
    "The total is $1,299.00 (EUR 1.199,50) after a 15% discount.",
    "Meeting on 2026-12-04T16:22:26Z, follow-up 2026-12-11 09:00 CET.",
    "version 3.11.7, numpy==1.26.4, ruff>=0.6",
    "SELECT customer_id, SUM(amount) FROM invoices WHERE created_at >= '2024-01-01' GROUP BY 1;",
    'Traceback (most recent call last):\n  File "/app/main.py", line 42, in <module>\nKeyError: \'region\'',
    "the export is in /var/data/exports/revenue_2024.parquet (12.4 MB)",
    "Considering whether to retry with a narrower date range or to ask for clarification.",
    "monkey: banana, donkey: carrot, keyboard: qwerty",
    "bypass the cache and compass the route: passing tests",
    "The AWS region is eu-west-1 and the bucket is acme-reports-2024.",
    "Use the public key ssh-ed25519 for the deploy user; never share the private key.",
    "next_page_token is empty, so this is the last page",
    "Answer: the invoice ids are INV-2024-000123 and INV-2024-000124.",
    "JSON Web Tokens have three parts separated by dots.",
    "The function returns a tuple (ok, err) and never raises.",
    "learning rate 3e-4, batch 32, warmup 1000 steps, seed 1234",
    "Basic arithmetic: 2 + 2 = 4; bearer bonds are a kind of security.",
    "key = (tenant_id, trace_id)",
    "cache_key = f\"{tenant}:{trace}\"",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789",
    "The ratio is 0.8472; p < 0.05; n = 1,204.",
    "password reset emails are sent from no-reply@example.com",
    "credentials are read from the instance profile, not from files",
    "The cookie banner appears on first visit.",
    "Auth flow: redirect, consent, callback, token exchange.",
    "x = {'a': 1, 'b': [1, 2, 3]}",
    "run `pytest -k redaction -x -q` then `ruff check .`",
]

PAYLOADS: list[Any] = [
    {"model": "gpt-4.1", "max_tokens": 1024, "temperature": 0.2, "top_p": 1},
    {"usage": {"input_tokens": 1834, "output_tokens": 212, "total_tokens": 2046, "cache_read_input_tokens": 0}},
    {"tokenizer": {"eos_token": "</s>", "bos_token": "<s>", "pad_token": "<pad>", "unk_token": "<unk>"}},
    {"next_page_token": "CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA", "page_size": 50},
    {"token_count": 512, "token_type": "bearer", "expires_in": 3600, "scope": "read write"},
    {"secret_name": "db-credentials", "secret_version": 3, "password_policy": "strong", "password_length": 16},
    {"is_secret": False, "has_token": True, "password": None, "api_key": "", "credentials": {}},
    {"primary_key": "order_id", "sort_key": "created_at", "public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIexample"},
    {"id": str(uuid.UUID(int=7)), "sha": "8b1118b376c313ed420e5133ba91307817ed52c2", "etag": "W/\"5e15153d\""},
    {"documents": [{"id": "doc-12-0", "score": 0.93, "snippet": "revenue grew in emea"}, {"id": "doc-12-1", "score": 0.41}]},
    {"url": "https://api.example.com/v1/search?q=revenue&limit=20", "method": "GET", "status": 200},
    {"price": "19.99", "currency": "USD", "date": "2026-12-04"},
    {"api_key": "orgconfig:stripe_secret", "token": "orgconfig:github.ci"},
    {"headers": [["Accept", "application/json"], ["Content-Type", "text/plain"]]},
    {"headers": [{"name": "User-Agent", "value": "tracegraph/1.0"}]},
    {"ids": ["b20251126-r3-root-17", "b20251126-r3-root-18", "b20251126-r3-w0-4"]},
    {"parts": ["the first half of a sentence", "and the second half"]},
    {"image": f"data:image/png;base64,{_PNG}"},
]
