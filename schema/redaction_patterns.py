"""What redaction looks for: the context and token patterns, the organisation's
configuration references, and detect-secrets' token detectors (:mod:`.redaction` runs them).
"""

from __future__ import annotations

import re

#: A reference to a secret the organisation keeps in its configuration (seed 003): kept
#: as it is under a secret-like key or after ``key=``, since it names the secret without
#: holding it (token patterns still apply to the name).
ORGCONFIG_REFERENCE = re.compile(r"orgconfig:[A-Za-z0-9_.\-/]{1,128}")

#: Context patterns: (name, anchors, pattern, group to redact; 0 = the whole match). A
#: pattern only runs when one of its anchors occurs in the lower-cased text.
CONTEXT_PATTERNS: tuple[tuple[str, tuple[str, ...], str, int], ...] = (
    ("private key block", ("-----begin",),
     r"-----BEGIN[A-Z0-9 _-]*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END[A-Z0-9 _-]*"
     r"PRIVATE KEY(?: BLOCK)?-----|[\s\S]*)", 0),  # no END line: all that follows
    ("bearer or basic credential", ("bearer", "basic", "token"),
     # (a credential has a digit, a capital or a base64 sign: "Basic arithmetic" is none)
     r"\b(?i:bearer|basic|token)\s+(?=[A-Za-z0-9\-._~+/]*[0-9A-Z+/])([A-Za-z0-9\-._~+/]{8,}=*)",
     1),
    # any scheme, an empty user, '/' or '@' in the password; not a port and path
    ("credential in a URL", ("://",),
     r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:@/'\"]*:(?!\d+(?:[/?#\s'\"]|$))"
     r"([^\s'\"]+?)@(?=[^\s'\"@/]*(?:[/?#\s'\"]|$))", 1),
    ("connection string Password=", ("password=", "pwd=", "accountkey=", "sharedaccesskey="),
     r"(?i)\b(?:password|pwd|accountkey|sharedaccesskey)=([^;\s\"']+)", 1),
    ("Slack webhook", ("hooks.slack",),
     r"(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_+/]+", 0),
    ("Microsoft Teams webhook", ("webhook.office",),
     r"https://[A-Za-z0-9]+\.webhook\.office\.com/webhookb2/\S+", 0),
    ("secret-named setting of an XML file", ("key=",),
     r"(?i)\bkey\s*=\s*\"[^\"]{0,40}?(?:pass|pwd|secret|token|api_?key|credential)[^\"]{0,40}\""
     r"\s+value\s*=\s*\"([^\"]+)\"", 1),
    ("value of a command-line option", ("--",),
     r"(?i)(?:^|\s)--[a-z0-9\-]{0,40}(?:pass(?:word)?|secret|token|api-?key|credentials?)"
     r"(?:=|[ \t]+)[\"']?([^\s\"'-][^\s\"']{3,})", 1),
    ("password of curl -u", ("curl",),
     r"\bcurl\b[^\n]*?\s(?:-u|--user)(?:=|\s+)[\"']?[^\s:\"']*:([^\s\"']+)", 1),
)

#: Token formats of cloud and SaaS providers, checked against each long unbroken run of
#: token characters (a run is where any such token must lie).
TOKEN_PATTERNS: tuple[tuple[str, str], ...] = (
    ("JWT", r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_\-+/=]{5,}"),
    ("AWS access key id", r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}"),
    ("GitHub token", r"(?:gh[pousr]_[A-Za-z0-9_]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
    ("GitLab token", r"gl(?:pat|dt|ft|soat|rt|cbt|ptt|oas|imt|agent|ffct)-[A-Za-z0-9_\-]{20,}"),
    ("Slack token", r"xox[abposre]-[A-Za-z0-9\-]{10,}"),
    ("Slack app token", r"xapp-\d-[A-Za-z0-9\-]{10,}"),
    ("Stripe key", r"(?:sk|rk|pk)_(?:live|test|prod)_[0-9A-Za-z]{10,}"),
    ("OpenAI or Anthropic key",
     r"sk-(?:proj-|ant-(?:api\d\d-|admin\d\d-)?|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
    ("Google API key", r"AIza[0-9A-Za-z_\-]{35}"),
    ("Google OAuth token", r"ya29\.[0-9A-Za-z_\-]{20,}"),
    ("SendGrid key", r"SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}"),
    ("Twilio key", r"(?<![0-9a-zA-Z])(?:SK|AC)[0-9a-fA-F]{32}(?![0-9a-zA-Z])"),
    ("Hugging Face token", r"(?:hf_|api_org_)[A-Za-z0-9]{30,}"),
    ("npm token", r"npm_[A-Za-z0-9]{36}"),
    ("PyPI token", r"pypi-AgE[A-Za-z0-9_\-]{50,}"),
    ("Azure storage key", r"(?<=AccountKey=)[A-Za-z0-9+/=]{40,}"),
    ("Azure AD client secret", r"(?<![A-Za-z0-9_~.])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34}"),
    ("Mailchimp key", r"[0-9a-f]{32}-us\d{1,2}"),
    ("Square token", r"(?:sq0(?:csp|atp)-|EAAA)[0-9A-Za-z_\-]{22,}"),
    ("Shopify token", r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"),
    ("DigitalOcean token", r"do[opr]_v1_[a-f0-9]{64}"),
    ("Telegram bot token", r"\d{8,10}:AA[0-9A-Za-z_\-]{33}"),
    ("Discord bot token", r"[MNO][A-Za-z\d_\-]{23,25}\.[A-Za-z\d_\-]{6}\.[A-Za-z\d_\-]{27,}"),
    ("Grafana key", r"eyJrIjoi[A-Za-z0-9]{70,}"),
    ("Facebook page token", r"EAA[MC][A-Za-z0-9]{100,}"),
    ("GitLab session cookie", r"_gitlab_session=[0-9a-z]{32}"),
    # the token formats of gitleaks' rules that a unique prefix identifies
    ("prefixed API token", "|".join((
        r"dapi[a-f0-9]{32}", r"pplx-[a-zA-Z0-9]{48}", r"pnu_[a-zA-Z0-9]{36}",
        r"pul-[a-f0-9]{40}", r"rdme_[a-z0-9]{70}", r"rubygems_[a-f0-9]{48}",
        r"sntryu_[a-f0-9]{64}", r"sntrys_eyJ[a-zA-Z0-9+/=_]{30,}", r"dp\.pt\.[a-zA-Z0-9]{43}",
        r"dt0c01\.[a-zA-Z0-9]{24}\.[a-zA-Z0-9]{64}", r"lin_api_[a-zA-Z0-9]{40}",
        r"ntn_[0-9]{11}[A-Za-z0-9]{35}", r"glc_[A-Za-z0-9+/]{32,}",
        r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}", r"hv[sb]\.[\w-]{90,}",
        r"fio-u-[a-zA-Z0-9\-_=]{64}", r"duffel_(?:test|live)_[a-zA-Z0-9_\-=]{43}",
        r"shippo_(?:live|test)_[a-fA-F0-9]{40}", r"pscale_(?:tkn|oauth|pw)_[\w=.\-]{32,64}",
        r"PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}", r"xkeysib-[a-f0-9]{64}-[a-zA-Z0-9]{16}",
        r"AKCp[A-Za-z0-9]{69}", r"ico-[a-zA-Z0-9]{32}",
        r"FLW(?:SECK|PUBK)_TEST-[a-hA-H0-9]{12,32}(?:-X)?", r"EZ[AT]K[a-zA-Z0-9]{54}",
        r"CLOJARS_[a-zA-Z0-9]{60}", r"HRKU-AA[0-9a-zA-Z_\-]{58}", r"ABSK[A-Za-z0-9+/]{109,}",
        r"tk-us-[\w-]{48}", r"sm_[aps]at_[a-zA-Z0-9]{16}",
        r"dnkey-[a-z0-9=_\-]{26}-[a-z0-9=_\-]{52}", r"ops_eyJ[a-zA-Z0-9+/]{250,}",
        r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}", r"LTAI[a-zA-Z0-9]{20}",
        r"sha256~[\w-]{43}", r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}", r"API-[A-Z0-9]{26}",
        r"A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}"
        r"-[A-Z0-9]{5}",
        r"sgp_(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40}", r"fo1_[\w-]{43}",
        r"fm(?:1[ar]|2)_[a-zA-Z0-9+/]{100,}", r"4b1d[A-Za-z0-9]{38}", r"cmVmd[A-Za-z0-9]{59}",
        r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}",
        r"(?:pat|sat)\.[a-zA-Z0-9_-]{22}\.[a-zA-Z0-9]{24}\.[a-zA-Z0-9]{20}",
        r"[a-z0-9]{14}\.atlasv1\.[a-z0-9\-_=]{60,70}", r"GR1348941[\w-]{20}",
        r"(?:sc|ext|scauth|authress)_[a-z0-9]{5,30}\.[a-z0-9]{4,6}\.acc[_-][a-z0-9-]{10,32}"
        r"\.[a-z0-9+/_=-]{30,120}"))),
    # 40 characters of base64, all three kinds of character (keep it last: _AWS_SECRET)
    ("AWS secret access key",
     r"(?<![A-Za-z0-9+/])(?=[A-Za-z0-9+/]{0,39}[A-Z])(?=[A-Za-z0-9+/]{0,39}[a-z])"
     r"(?=[A-Za-z0-9+/]{0,39}[0-9+/])[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/=])"),
)

#: Entropy (bits per character) a bare 40-character AWS secret access key must reach: a
#: random one has about 4.9 and nearly never under 4.3; words and repeated text are lower.
AWS_SECRET_MIN_ENTROPY = 4.0


def detect_secrets_patterns() -> list[re.Pattern[str]]:
    """Regexes of detect-secrets' token-format detectors (empty when it is not installed)."""
    try:
        from detect_secrets.plugins.aws import AWSKeyDetector
        from detect_secrets.plugins.github_token import GitHubTokenDetector
        from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
        from detect_secrets.plugins.jwt import JwtTokenDetector
        from detect_secrets.plugins.openai import OpenAIDetector
        from detect_secrets.plugins.sendgrid import SendGridDetector
        from detect_secrets.plugins.slack import SlackDetector
        from detect_secrets.plugins.square_oauth import SquareOAuthDetector
        from detect_secrets.plugins.stripe import StripeDetector
    except ImportError:  # pragma: no cover - detect-secrets is a dependency
        return []
    detectors = (AWSKeyDetector, GitHubTokenDetector, GitLabTokenDetector, JwtTokenDetector,
                 OpenAIDetector, SendGridDetector, SlackDetector, SquareOAuthDetector,
                 StripeDetector)
    patterns: list[re.Pattern[str]] = []
    for detector in detectors:
        for p in detector().denylist:
            if p.groups == 0:  # patterns whose whole match is the secret
                patterns.append(p)
    return patterns
