# ruff: noqa: E501 - secrets are kept on one line each so they can be read and grepped
"""Realistic secrets (format-valid, not live) for the redaction tests, with a context each.

Every entry is ``(secret, text that carries it)``; the secret must never reach storage.
"""

from __future__ import annotations

import base64
import hashlib

_HEX32 = hashlib.md5(b"tracegraph").hexdigest()
_HEX64 = hashlib.sha256(b"tracegraph").hexdigest()
_B64_40 = base64.b64encode(hashlib.sha256(b"k").digest() + b"12345678").decode()[:40]
_AZ88 = (base64.b64encode(hashlib.sha512(b"azure").digest() + b"0123456789ab").decode())[:86] + "=="

JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9"
       "lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
PEM = ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF0qhHGVQkfZ4\n"
       "t1Yx7Q9m2JZ8o0r5hLqW3p3Y8fakefakefakefakefake0Q==\n-----END RSA PRIVATE KEY-----")
OPENSSH = ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB"
           "\nAAAAMwAAAAtzc2gtZWQyNTUxOQAAACDfakefakefakefake\n-----END OPENSSH PRIVATE KEY-----")

CORPUS: list[tuple[str, str]] = [
    ("AKIAIOSFODNN7EXAMPLE", "aws key id AKIAIOSFODNN7EXAMPLE in env"),
    ("ASIAY34FZKBOKMUTVV7A", "temporary creds ASIAY34FZKBOKMUTVV7A"),
    ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
     "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("ghp_1A2b3C4d5E6f7G8h9I0jK1l2M3n4O5p6Q7r8", "token ghp_1A2b3C4d5E6f7G8h9I0jK1l2M3n4O5p6Q7r8"),
    ("gho_16C7e42F292c6912E7710c838347Ae178B4a", "oauth gho_16C7e42F292c6912E7710c838347Ae178B4a"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV",
     "pat github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"),
    ("glpat-xXxXxXxXxXxXxXxXxXxX", "gitlab glpat-xXxXxXxXxXxXxXxXxXxX"),
    ("xoxb-2345678901-2345678901234-AbCdEfGhIjKlMnOpQrStUvWx",
     "slack bot xoxb-2345678901-2345678901234-AbCdEfGhIjKlMnOpQrStUvWx"),
    ("xoxp-1234567890-1234567890-1234567890-abcdef0123456789abcdef0123456789",
     "user xoxp-1234567890-1234567890-1234567890-abcdef0123456789abcdef0123456789"),
    ("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
     "post to https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"),
    ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    ("rk_live_51H8abcDEFghiJKLmnoPQRst", "restricted rk_live_51H8abcDEFghiJKLmnoPQRst"),
    ("sk-proj-Abcdefghijklmnopqrstuvwxyz0123456789ABCD",
     "OPENAI_API_KEY sk-proj-Abcdefghijklmnopqrstuvwxyz0123456789ABCD"),
    ("sk-ant-api03-abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789-_abcdefghijkl",
     "anthropic sk-ant-api03-abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789-_abcdefghijkl"),
    ("sk-1234567890abcdefghijT3BlbkFJ1234567890abcdefghij",
     "legacy sk-1234567890abcdefghijT3BlbkFJ1234567890abcdefghij"),
    ("AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", "maps key AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"),
    ("ya29.a0AfH6SMBx3kL9example_google_oauth_access_token",
     "google ya29.a0AfH6SMBx3kL9example_google_oauth_access_token"),
    ("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",
     "sendgrid 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"),
    ("SK" + _HEX32, "twilio key SK" + _HEX32),
    ("hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "huggingface hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"),
    ("npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "npm npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"),
    ("pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdoLWlqa2wtbW5vcC1xcnN0LXV2d3h5ejAxMjM0NTYAAipbMSwi",
     "upload with pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdoLWlqa2wtbW5vcC1xcnN0LXV2d3h5ejAxMjM0NTYAAipbMSwi"),
    (_HEX32 + "-us14", "mailchimp " + _HEX32 + "-us14"),
    ("sq0csp-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq",
     "square sq0csp-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"),
    ("shpat_" + _HEX32, "shopify shpat_" + _HEX32),
    ("dop_v1_" + _HEX64, "digitalocean dop_v1_" + _HEX64),
    ("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawx", "bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawx"),
    ("MTA4OTQ4NjU0NzY1OTk2MzUwMA.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789",
     "discord MTA4OTQ4NjU0NzY1OTk2MzUwMA.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"),
    (JWT, f"id_token {JWT}"),
    (JWT[:60], f"Authorization: Bearer {JWT}"),
    ("abc123DEF456ghi789JKL", "Authorization: Bearer abc123DEF456ghi789JKL"),
    ("dXNlcjpwYXNzd29yZDEyMw==", "Authorization: Basic dXNlcjpwYXNzd29yZDEyMw=="),
    (PEM.splitlines()[1], PEM),
    (OPENSSH.splitlines()[1], OPENSSH),
    ("S3cr3tPassw0rd!", "postgres://app:S3cr3tPassw0rd!@db.internal:5432/prod"),
    ("hunter2-but-longer", "mysql://root:hunter2-but-longer@10.0.0.5/app"),
    ("redispass987", "redis://default:redispass987@cache:6379/0"),
    ("mongoPw_2024", "mongodb+srv://svc:mongoPw_2024@cluster0.mongodb.net/db"),
    ("amqpSecret55", "amqp://guest:amqpSecret55@rabbit:5672/"),
    ("SqlServerPw#1", "Server=tcp:sql.example.net;User ID=sa;Password=SqlServerPw#1;"),
    (_AZ88, f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={_AZ88};"),
    ("correct-horse-battery", "password=correct-horse-battery"),
    ("p@ssw0rd-in-yaml", "db_password: p@ssw0rd-in-yaml"),
    ("client-secret-value-42", "client_secret=client-secret-value-42"),
    ("refresh-tok-0987654321", "refresh_token: refresh-tok-0987654321"),
    ("access-tok-1234567890", "access_token=access-tok-1234567890&expires=3600"),
    ("myApiKey12345", 'api_key = "myApiKey12345"'),
    ("x-api-key-value-777", "X-Api-Key: x-api-key-value-777"),
    ("opsLiteral-Zebra-4411", "the vault returned opsLiteral-Zebra-4411 for this run"),
    (_B64_40, f"secret_key: {_B64_40}"),
    ("tokenValue998877", '{"token": "tokenValue998877"}'),
    ("aws-session-token-xyz123", "aws_session_token=aws-session-token-xyz123"),
]

#: Operator-configured literal secrets (the only ones no pattern knows).
LITERALS = ["opsLiteral-Zebra-4411"]

#: JSON payloads whose values sit under secret-like keys, at depth.
KEYED = {
    "password": "plain-password-1",
    "config": {"db": {"Password": "nested-password-2", "host": "db"},
               "headers": {"Authorization": "Token nested-token-3"}},
    "items": [{"api_key": "list-api-key-4"}, {"client_secret": "list-secret-5"}],
    "creds": {"aws_secret_access_key": "keyed-aws-6", "refreshToken": "keyed-refresh-7"},
}
KEYED_SECRETS = ["plain-password-1", "nested-password-2", "nested-token-3", "list-api-key-4",
                 "list-secret-5", "keyed-aws-6", "keyed-refresh-7"]
