# ruff: noqa: E501 - formats and carriers are kept on one line each so they can be read
"""Planted secrets: fake, format-valid credentials of many kinds, each with the text that carries it.

The formats follow gitleaks' rules (config/gitleaks.toml and the true-positive generators
under cmd/generate/config/rules/, whose sample contexts are :data:`GITLEAKS_CONTEXTS`) and
detect-secrets' plugin fixtures (keyword, basic auth, private key, IBM, SoftLayer, Cloudant,
npm...). Every value is generated here from a fixed seed: none is a real credential.

:func:`make_planted` makes a corpus from a seed: :data:`PLANTED` is the fixed one; a test
that searches shared servers' files makes its own, so nothing written by an earlier run
(whatever redacted it) can be mistaken for a leak of this one.

Each :class:`Planted` has the ``secret`` that must never be stored (or several ``parts``
when it is split in two), a ``carrier`` text that holds it, and for JSON-borne kinds a
``payload``; ``bare`` says whether the secret alone is recognisable (so it can be planted
in an id, a model id or an API type by itself).
"""

from __future__ import annotations

import base64
import random
import string
from dataclasses import dataclass, field
from typing import Any

_RNG = random.Random(20261204)
ALNUM = string.ascii_letters + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"


def r(alphabet: str, n: int) -> str:
    """``n`` random characters of ``alphabet`` (from the corpus' fixed seed)."""
    return "".join(_RNG.choice(alphabet) for _ in range(n))


@dataclass(frozen=True)
class Planted:
    kind: str
    secret: str
    carrier: str
    bare: bool = False
    payload: Any = None
    parts: tuple[str, ...] = field(default=())

    @property
    def needles(self) -> tuple[str, ...]:
        """What must not be found in storage."""
        return self.parts or (self.secret,)


#: The sample contexts of gitleaks' GenerateSampleSecrets ({i}: identifier, {I}: upper case).
GITLEAKS_CONTEXTS = (
    '{i}Token="{s}"', '{i}Token = "{s}"', "{i}Token={s}", "{i}Token = {s}",
    '{{\n    "{i}_token": "{s}"\n}}', '{{"config.ini": "{I}_TOKEN={s}\\nBACKUP_ENABLED=true"}}',
    "<{i}Token>\n    {s}\n</{i}Token>", "{i}_token: {s}", "{i}_token: '{s}'", '{i}_token: "{s}"',
    'string {i}Token = "{s}";', 'var {i}Token string = "{s}"', '{i}Token := "{s}"',
    "{i}Token := `{s}`", 'String {i}Token = "{s}";', 'var {i}Token = "{s}"',
    '${i}Token .= "{s}"', "{i}Token = '{s}'", '{i}Token = "{s}"',
    'System.setProperty("{I}_TOKEN", "{s}")', '  "{i}Token" => "{s}"', '{I}_TOKEN = "{s}"',
    '{I}_TOKEN := "{s}"', '{I}_TOKEN ::= "{s}"', '{I}_TOKEN :::= "{s}"', '{I}_TOKEN ?= "{s}"',
)


def _in_context(i: int, identifier: str, secret: str) -> str:
    ctx = GITLEAKS_CONTEXTS[i % len(GITLEAKS_CONTEXTS)]
    return ctx.format(i=identifier, I=identifier.upper(), s=secret)


def _tokens() -> list[Planted]:
    """Provider token formats a prefix identifies: recognisable alone."""
    formats = [
        ("AWS access key id", lambda: "AKIA" + r("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)),
        ("AWS temporary key id", lambda: "ASIA" + r("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)),
        ("GitHub PAT", lambda: "ghp_" + r(ALNUM, 36)),
        ("GitHub OAuth", lambda: "gho_" + r(ALNUM, 36)),
        ("GitHub app user", lambda: "ghu_" + r(ALNUM, 36)),
        ("GitHub app server", lambda: "ghs_" + r(ALNUM, 36)),
        ("GitHub refresh", lambda: "ghr_" + r(ALNUM, 36)),
        ("GitHub fine-grained PAT", lambda: "github_pat_" + r(ALNUM + "_", 82)),
        ("GitLab PAT", lambda: "glpat-" + r(URLSAFE, 20)),
        ("GitLab deploy", lambda: "gldt-" + r(URLSAFE, 20)),
        ("GitLab feed", lambda: "glft-" + r(URLSAFE, 20)),
        ("GitLab runner", lambda: "glrt-" + r(URLSAFE, 20)),
        ("GitLab SCIM", lambda: "glsoat-" + r(URLSAFE, 20)),
        ("GitLab trigger", lambda: "glptt-" + r(HEX, 40)),
        ("GitLab OAuth secret", lambda: "gloas-" + r(URLSAFE, 64)),
        ("GitLab CI job", lambda: "glcbt-" + r(ALNUM, 3) + "_" + r(URLSAFE, 20)),
        ("GitLab incoming mail", lambda: "glimt-" + r(URLSAFE, 25)),
        ("GitLab agent", lambda: "glagent-" + r(URLSAFE, 50)),
        ("GitLab feature flags", lambda: "glffct-" + r(URLSAFE, 20)),
        ("GitLab runner registration", lambda: "GR1348941" + r(URLSAFE, 20)),
        ("Slack bot", lambda: f"xoxb-{r(string.digits, 12)}-{r(string.digits, 13)}-{r(ALNUM, 24)}"),
        ("Slack user", lambda: f"xoxp-{r(string.digits, 12)}-{r(string.digits, 12)}-{r(string.digits, 13)}-{r(HEX, 32)}"),
        ("Slack app", lambda: f"xapp-1-{r(UPPER_ALNUM, 11)}-{r(string.digits, 13)}-{r(HEX, 64)}"),
        ("Slack legacy workspace", lambda: f"xoxa-2-{r(ALNUM, 30)}"),
        ("Stripe live secret", lambda: "sk_live_" + r(ALNUM, 24)),
        ("Stripe restricted", lambda: "rk_live_" + r(ALNUM, 24)),
        ("Stripe test secret", lambda: "sk_test_" + r(ALNUM, 24)),
        ("OpenAI project key", lambda: "sk-proj-" + r(URLSAFE, 58) + "T3BlbkFJ" + r(URLSAFE, 58)),
        ("OpenAI legacy key", lambda: "sk-" + r(ALNUM, 20) + "T3BlbkFJ" + r(ALNUM, 20)),
        ("OpenAI service account", lambda: "sk-svcacct-" + r(URLSAFE, 58) + "T3BlbkFJ" + r(URLSAFE, 58)),
        ("Anthropic key", lambda: "sk-ant-api03-" + r(URLSAFE, 93) + "AA"),
        ("Anthropic admin key", lambda: "sk-ant-admin01-" + r(URLSAFE, 93) + "AA"),
        ("Google API key", lambda: "AIza" + r(URLSAFE, 35)),
        ("Google OAuth access token", lambda: "ya29." + r(URLSAFE, 60)),
        ("SendGrid", lambda: "SG." + r(URLSAFE, 22) + "." + r(URLSAFE, 43)),
        ("Twilio API key", lambda: "SK" + r(HEX, 32)),
        ("Twilio account SID", lambda: "AC" + r(HEX, 32)),
        ("Hugging Face", lambda: "hf_" + r(string.ascii_letters, 34)),
        ("Hugging Face org", lambda: "api_org_" + r(string.ascii_letters, 34)),
        ("npm", lambda: "npm_" + r(LOWER_ALNUM, 36)),
        ("PyPI", lambda: "pypi-AgEIcHlwaS5vcmc" + r(URLSAFE, 70)),
        ("Azure AD client secret", lambda: r(ALNUM, 3) + "8Q~" + r(ALNUM + "_~.-", 34)),
        ("Mailchimp", lambda: r(HEX, 32) + "-us12"),
        ("Square OAuth secret", lambda: "sq0csp-" + r(URLSAFE, 43)),
        ("Square access", lambda: "sq0atp-" + r(URLSAFE, 22)),
        ("Square EAAA", lambda: "EAAA" + r(URLSAFE, 60)),
        ("Shopify access", lambda: "shpat_" + r(HEX, 32)),
        ("Shopify custom app", lambda: "shpca_" + r(HEX, 32)),
        ("Shopify private app", lambda: "shppa_" + r(HEX, 32)),
        ("Shopify shared secret", lambda: "shpss_" + r(HEX, 32)),
        ("DigitalOcean PAT", lambda: "dop_v1_" + r(HEX, 64)),
        ("DigitalOcean OAuth", lambda: "doo_v1_" + r(HEX, 64)),
        ("DigitalOcean refresh", lambda: "dor_v1_" + r(HEX, 64)),
        ("Telegram bot", lambda: r(string.digits, 9) + ":AA" + r(URLSAFE, 33)),
        ("Discord bot", lambda: "M" + r(ALNUM, 23) + "." + r(URLSAFE, 6) + "." + r(URLSAFE, 27)),
        ("JWT", lambda: "eyJhbGciOiJIUzI1NiJ9." + base64.urlsafe_b64encode(r(ALNUM, 30).encode()).decode().rstrip("=") + "." + r(URLSAFE, 43)),
        ("Grafana API key", lambda: "eyJrIjoi" + r(ALNUM, 72)),
        ("Grafana cloud", lambda: "glc_" + r(ALNUM, 40)),
        ("Grafana service account", lambda: "glsa_" + r(ALNUM, 32) + "_" + r(HEX, 8)),
        ("Databricks", lambda: "dapi" + r(HEX, 32)),
        ("Perplexity", lambda: "pplx-" + r(ALNUM, 48)),
        ("Prefect", lambda: "pnu_" + r(ALNUM, 36)),
        ("Pulumi", lambda: "pul-" + r(HEX, 40)),
        ("ReadMe", lambda: "rdme_" + r(LOWER_ALNUM, 70)),
        ("RubyGems", lambda: "rubygems_" + r(HEX, 48)),
        ("Sentry user", lambda: "sntryu_" + r(HEX, 64)),
        ("Doppler", lambda: "dp.pt." + r(ALNUM, 43)),
        ("Dynatrace", lambda: "dt0c01." + r(UPPER_ALNUM, 24) + "." + r(UPPER_ALNUM, 64)),
        ("Linear", lambda: "lin_api_" + r(ALNUM, 40)),
        ("Notion", lambda: "ntn_" + r(string.digits, 11) + r(ALNUM, 35)),
        ("Vault service token", lambda: "hvs." + r(URLSAFE, 95)),
        ("Frame.io", lambda: "fio-u-" + r(URLSAFE, 64)),
        ("Duffel", lambda: "duffel_live_" + r(URLSAFE, 43)),
        ("Shippo", lambda: "shippo_live_" + r(HEX, 40)),
        ("PlanetScale token", lambda: "pscale_tkn_" + r(URLSAFE, 43)),
        ("PlanetScale OAuth", lambda: "pscale_oauth_" + r(URLSAFE, 43)),
        ("PlanetScale password", lambda: "pscale_pw_" + r(URLSAFE, 43)),
        ("Postman", lambda: "PMAK-" + r(HEX, 24) + "-" + r(HEX, 34)),
        ("Brevo (Sendinblue)", lambda: "xkeysib-" + r(HEX, 64) + "-" + r(ALNUM, 16)),
        ("Artifactory", lambda: "AKCp" + r(ALNUM, 69)),
        ("Infracost", lambda: "ico-" + r(ALNUM, 32)),
        ("Flutterwave secret", lambda: "FLWSECK_TEST-" + r("abcdef0123456789", 32) + "-X"),
        ("EasyPost", lambda: "EZAK" + r(ALNUM, 54)),
        ("Clojars", lambda: "CLOJARS_" + r(LOWER_ALNUM, 60)),
        ("Heroku v2", lambda: "HRKU-AA" + r(URLSAFE, 58)),
        ("Scalingo", lambda: "tk-us-" + r(URLSAFE, 48)),
        ("SettleMint", lambda: "sm_pat_" + r(ALNUM, 16)),
        ("age secret key", lambda: "AGE-SECRET-KEY-1" + r("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)),
        ("Alibaba key id", lambda: "LTAI" + r(ALNUM, 20)),
        ("OpenShift", lambda: "sha256~" + r(URLSAFE, 43)),
        ("1Password secret key", lambda: f"A3-{r(UPPER_ALNUM, 6)}-{r(UPPER_ALNUM, 11)}-{r(UPPER_ALNUM, 5)}-{r(UPPER_ALNUM, 5)}-{r(UPPER_ALNUM, 5)}"),
        ("Octopus Deploy", lambda: "API-" + r(UPPER_ALNUM, 26)),
        ("ClickHouse", lambda: "4b1d" + r(ALNUM, 38)),
        ("Airtable PAT", lambda: "pat" + r(ALNUM, 14) + "." + r(HEX, 64)),
        ("Harness", lambda: "pat." + r(URLSAFE, 22) + "." + r(ALNUM, 24) + "." + r(ALNUM, 20)),
        ("Terraform Cloud", lambda: r(LOWER_ALNUM, 14) + ".atlasv1." + r(LOWER_ALNUM, 64)),
        ("Fly.io", lambda: "fo1_" + r(URLSAFE, 43)),
        ("Facebook page", lambda: "EAAC" + r(ALNUM, 110)),
        ("Bedrock long-lived", lambda: "ABSK" + r(ALNUM, 120)),
        ("Cloudflare origin CA", lambda: "v1.0-" + r(HEX, 24) + "-" + r(HEX, 146)),
    ]
    out = []
    for i, (kind, make) in enumerate(formats):
        s = make()
        carriers = (f"the tool printed {s} in its log", f"export TOKEN_{i}={s}",
                    f"use {s} for the call", f'config = {{"value": "{s}"}}')
        out.append(Planted(kind, s, carriers[i % len(carriers)], bare=True))
    return out


#: Provider names of gitleaks' keyword rules (a name, then an operator, then the secret).
_PROVIDERS = ("adafruit", "algolia", "asana", "bitbucket", "bittrex", "cloudflare", "codecov",
              "coinbase", "confluent", "contentful", "datadog", "discord", "droneci", "dropbox",
              "etsy", "fastly", "finicity", "finnhub", "flickr", "freshbooks", "gitter",
              "gocardless", "heroku", "hubspot", "intercom", "kraken", "launchdarkly", "looker",
              "mailgun", "mapbox", "mattermost", "messagebird", "netlify", "newrelic", "nytimes",
              "okta", "plaid", "rapidapi", "sendbird", "sentry", "squarespace", "sumologic",
              "travis", "twitch", "twitter", "typeform", "yandex", "zendesk", "kucoin", "beamer")


def _keyword_rules() -> list[Planted]:
    out = []
    for i, provider in enumerate(_PROVIDERS):
        s = r(LOWER_ALNUM, 20 + i % 25)
        out.append(Planted(f"{provider} token (gitleaks keyword rule)", s,
                           _in_context(i, provider, s)))
    return out


def _detect_secrets_keywords() -> list[Planted]:
    """The shapes of detect-secrets' keyword, IBM, SoftLayer and Cloudant fixtures."""
    shapes = (
        'password = "{}"', 'password_super_secure = "{}"', 'my_password_super_secure = "{}"',
        "apikey = {}", "api_key: '{}'", "aws_secret_access_key: {}", "db_pass: {},",
        "passwd: {}`", 'private_key: {}"', "secret: {}'", 'if (apikey == "{}") {{',
        'if (api_key != "{}") {{', 'if (aws_secret_access_key === "{}") {{',
        'if ("{}" == password) {{', 'if ("{}" == my_super_password) {{',
        'if ("{}" !== secret) {{', 'db_pass_secure := {}', 'password = @"{}";',
        'std::string secret("{}");', 'password => "{}"', "ibm-cloud_api_key: {}",
        'IBM-API-KEY : "{}"', '"iam_api_key" : "{}"', "CLOUD_IAM_API_KEY:\"{}\"",
        "ibm_cloud_iamapikey= {}", "IBMCLOUDIAMAPIKEY={}", "ibm-cloud-pwd = {}",
        "--softlayer-api-key {}", 'SOFTLAYER_API_KEY:"{}"', "softlayerapikey= {}",
        "cloudant_password='{}'", 'cloudant_pw="{}"', "cloudant_key = \"{}\"",
        "COS_HMAC_SECRET_ACCESS_KEY = \"{}\"", "//registry.npmjs.org/:_authToken={}",
        'X-JFrog-Art-Api: {}', "artifactoryx:_password={}", "spring.datasource.password={}",
        "DB_PASSWORD={}", "export AWS_SECRET_ACCESS_KEY={}", "secret_key_base: {}",
        "client_secret={}&grant_type=client_credentials", "<add key=\"Password\" value=\"{}\" />",
    )
    out = []
    for i, shape in enumerate(shapes):
        s = r(ALNUM, 12) + r("!#%*+-.^_~", 2) + r(ALNUM, 10 + i % 7)
        out.append(Planted("keyword (detect-secrets fixture)", s, shape.format(s)))
    return out


def _urls() -> list[Planted]:
    shapes = (
        ("postgres://app:{}@db.internal:5432/prod", ALNUM), ("mysql://root:{}@10.0.0.5/app", ALNUM),
        ("redis://:{}@cache.internal:6379/0", ALNUM),  # empty user
        ("rediss://default:{}@cache:6380", ALNUM), ("mongodb+srv://svc:{}@cluster0.example.net/db", ALNUM),
        ("amqp://guest:{}@rabbit:5672/", ALNUM), ("ftp://deploy:{}@files.example.org/pub", ALNUM),
        ("sftp://ops:{}@bastion.example.org:22/home", ALNUM), ("smtp://mailer:{}@smtp.example.com:587", ALNUM),
        ("ldap://cn=admin:{}@ldap.example.com", ALNUM), ("https://user:{}@example.com/path", ALNUM + "/"),  # '/' inside
        ("https://:{}@git.example.com/repo.git", ALNUM),  # empty user
        ("http://username:{}@example.com", string.ascii_lowercase), ("git+ssh://ci:{}@git.example.com/x.git", ALNUM),
        ("jdbc:postgresql://svc:{}@db:5432/sales", ALNUM), ("s3://AKIDEXAMPLE:{}@bucket/key", ALNUM + "/+"),
        ("clickhouse://default:{}@ch:8123/", ALNUM + "@"),  # '@' inside
        ("https://{}:{}@gems.contribsys.com/", HEX),
    )
    out = []
    for template, alphabet in shapes:
        s = r(alphabet, 18)
        if "/" in alphabet and "/" not in s:
            s = s[:6] + "/" + s[7:]
        if template.count("{}") == 2:
            s = r(HEX, 8)
            text = template.format(r(HEX, 8), s)
        else:
            text = template.format(s)
        out.append(Planted("credential in a URL", s, f"connecting to {text} now"))
    return out


def _keys_and_headers() -> list[Planted]:
    out = []
    for kind in ("RSA", "EC", "OPENSSH", "DSA", "ENCRYPTED", ""):
        body = "\n".join(r(B64, 64) for _ in range(4))
        label = f"{kind} PRIVATE KEY".strip()
        block = f"-----BEGIN {label}-----\n{body}\n-----END {label}-----"
        out.append(Planted(f"private key ({label})", body.splitlines()[1], f"key file:\n{block}\n"))
    for kind in ("RSA", "OPENSSH", "PGP"):  # no END line (a cut-off paste)
        body = "\n".join(r(B64, 64) for _ in range(3))
        label = f"{kind} PRIVATE KEY" + (" BLOCK" if kind == "PGP" else "")
        out.append(Planted(f"private key without END ({kind})", body.splitlines()[2],
                           f"-----BEGIN {label}-----\n{body}"))
    for scheme in ("Bearer", "Basic", "Token", "bearer"):
        s = r(URLSAFE, 32)
        out.append(Planted(f"{scheme} credential", s, f"Authorization: {scheme} {s}"))
    s = r(ALNUM, 16)
    out.append(Planted("curl -u", s, f"curl -u admin:{s} https://api.example.com/v1"))
    s = r(URLSAFE, 40)
    out.append(Planted("curl -H", s, f'curl -H "Authorization: Bearer {s}" https://api.example.com'))
    s = base64.b64encode(r(B64, 64).encode()).decode()[:88]
    out.append(Planted("Azure storage key", s, f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={s};"))
    s = r(ALNUM, 14)
    out.append(Planted("SQL Server password", s, f"Server=tcp:sql.example.net;User ID=sa;Password={s};"))
    s = r(B64, 44)
    out.append(Planted("Service Bus key", s, f"Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey={s}"))
    s = f"https://hooks.slack.com/services/T{r(UPPER_ALNUM, 8)}/B{r(UPPER_ALNUM, 8)}/{r(ALNUM, 24)}"
    out.append(Planted("Slack webhook", s, f"post alerts to {s}"))
    u = f"{r(HEX, 8)}-{r(HEX, 4)}-{r(HEX, 4)}-{r(HEX, 4)}-{r(HEX, 12)}"
    s = f"https://acme.webhook.office.com/webhookb2/{u}@{u}/IncomingWebhook/{r(HEX, 32)}/{u}"
    out.append(Planted("Teams webhook", s, f"teams url {s}"))
    s = "_gitlab_session=" + r(LOWER_ALNUM, 32)
    out.append(Planted("GitLab session cookie", s, f"Cookie: {s}", bare=False))
    for _ in range(3):  # bare AWS secret access keys, no context at all
        s = r(B64, 40)
        out.append(Planted("bare AWS secret access key", s, f"the second value was {s} as printed"))
    return out


def _keyed() -> list[Planted]:
    """Plain values only their JSON key (or header name) marks as secret."""
    keys = ("db_password", "dbPassword", "DB_PASSWORD", "secret_token", "secretToken",
            "stripe_secret_key", "STRIPE_SECRET_KEY", "x-api-key", "X-Auth-Token",
            "client_secret", "refresh_token", "passphrase", "private_key", "signing_key",
            "webhook_secret", "session_token", "access_key", "api_key_value", "password1",
            "pass\u200bword", "".join(chr(ord(c) + 0xFEE0) for c in "PASSWORD"), "auth", "credentials", "cookie", "Set-Cookie",
            "connection_string", "mysql.root.password", "smtpPass", "db_pass", "jwt_secret",
            "encryptionKey", "app_key", "proxy-authorization", "github_token", "oauthToken")
    out = []
    for i, key in enumerate(keys):
        s = f"{r(string.ascii_lowercase, 5)} {r(string.ascii_lowercase, 6)} {r(string.digits, 3)}"
        shape = i % 4
        payload: Any
        if shape == 0:
            payload = {key: s, "host": "db.internal"}
        elif shape == 1:
            payload = {"config": {"nested": [{key: s}]}}
        elif shape == 2:
            payload = {"headers": [[key, s], ["Accept", "application/json"]]}
        else:
            payload = {"headers": [{"name": key, "value": s}]}
        out.append(Planted(f"value under {key!r}", s, f'{key}="{s}"', payload=payload))
    return out


def _split() -> list[Planted]:
    """Tokens cut in two consecutive strings of a list or object."""
    out = []
    for make in (lambda: "AKIA" + r("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
                 lambda: "ghp_" + r(ALNUM, 36), lambda: "sk_live_" + r(ALNUM, 24),
                 lambda: "xoxb-" + r(string.digits, 12) + "-" + r(ALNUM, 24)):
        s = make()
        cut = len(s) // 2
        a, b = s[:cut], s[cut:]
        payload = ({"key_part_1": a, "key_part_2": b} if len(out) % 2 else
                   {"parts": [a, b]})
        out.append(Planted("secret split across two fields", s, s, payload=payload,
                           parts=(a, b)))
    return out


def _obfuscated() -> list[Planted]:
    """Tokens with zero-width or fullwidth characters inside."""
    out = []
    s = "ghp_" + r(ALNUM, 36)
    out.append(Planted("zero-width space inside a token", s, f"token {s[:10]}\u200b{s[10:]} here",
                       parts=(s, s[10:])))
    s = "AKIA" + r("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    wide = "".join(chr(ord(c) + 0xFEE0) for c in s[:4]) + s[4:]
    out.append(Planted("fullwidth letters in a token", s, f"id {wide} in env", parts=(s, s[4:])))
    s = r(ALNUM, 20)
    out.append(Planted("zero-width joiner inside a key", s, f"pass\u200dword={s}"))
    return out


def _literals(literals: list[str]) -> list[Planted]:
    return [Planted("configured literal", s, f"the vault returned {s} for this run", bare=True)
            for s in literals]


def make_planted(seed: int) -> tuple[list[Planted], list[str]]:
    """The planted secrets drawn with ``seed``, and the literals an operator would configure
    for the ones only configuration knows."""
    global _RNG
    _RNG = random.Random(seed)
    literals = [f"opsLiteral-{r(ALNUM, 10)}", f"corp-vault-{r(HEX, 8)}"]
    planted = [*_tokens(), *_keyword_rules(), *_detect_secrets_keywords(), *_urls(),
               *_keys_and_headers(), *_keyed(), *_split(), *_obfuscated(), *_literals(literals)]
    return planted, literals


PLANTED, LITERALS = make_planted(20261204)
