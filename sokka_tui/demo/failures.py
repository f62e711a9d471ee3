"""Failure texts as each topic's workers would report them: one line, or a
Python traceback (sometimes chained), drawn from one ``Values``."""

from __future__ import annotations

from collections.abc import Sequence

from sokka_tui.demo.values import PARTNER_HOSTS, Values

# What Python prints between two chained tracebacks.
_DURING_HANDLING = "\n\nDuring handling of the above exception, another exception occurred:\n\n"


def traceback_text(frames: Sequence[tuple[str, int, str, str]], last: str) -> str:
    """A traceback as Python prints it, from (path, line, function, code) frames."""
    lines = ["Traceback (most recent call last):"]
    for path, line, function, code in frames:
        lines += [f'  File "{path}", line {line}, in {function}', f"    {code}"]
    return "\n".join([*lines, last])


def error_text(values: Values, topic: str) -> str:
    """A failure as that topic's workers would report it: one line, or a traceback."""
    rng = values.rng
    if topic == "billing.invoices":
        return rng.choice((
            lambda: traceback_text(
                [("/srv/billing/billing/worker.py", 88, "handle",
                  "receipt = gateway.charge(invoice, idempotency_key=task.task_id)"),
                 ("/srv/billing/billing/gateway.py", 142, "charge",
                  'raise CardDeclined(body["error"]["message"], code=body["error"]["decline_code"])')],
                "billing.gateway.CardDeclined: Your card was declined. (decline_code=insufficient_funds)",
            ),
            lambda: "Refund exceeds the amount captured on this charge "
                    "(captured 49.90 EUR, asked 59.90 EUR).",
            lambda: f"Invoice INV-{values.day()[:4]}-{rng.randint(1000, 9999):06d} "
                    "is locked by period close.",
        ))()
    if topic == "emails":
        email = values.person()["email"]
        return rng.choice((
            lambda: f"smtplib.SMTPRecipientsRefused: {{'{email}': (550, b'5.1.1 <{email}>: "
                    "Recipient address rejected: User unknown')}",
            lambda: "smtplib.SMTPServerDisconnected: Connection unexpectedly closed",
            lambda: traceback_text(
                [("/srv/mailer/mailer/render.py", 51, "render",
                  "return template.render(**task.data['vars'])"),
                 ("/usr/lib/python3.12/site-packages/jinja2/environment.py", 1304, "render",
                  "self.environment.handle_exception()")],
                "jinja2.exceptions.UndefinedError: 'dict object' has no attribute 'coupon_code'",
            ),
        ))()
    if topic == "thumbnails":
        return rng.choice((
            lambda: traceback_text(
                [("/srv/thumbs/thumbs/worker.py", 37, "handle",
                  "image = Image.open(fetch(task.data['source']))"),
                 ("/usr/lib/python3.12/site-packages/PIL/Image.py", 3339, "open",
                  'raise UnidentifiedImageError(msg)')],
                f"PIL.UnidentifiedImageError: cannot identify image file '/tmp/thumbs/{values.hex(8)}.jpg'",
            ),
            lambda: "botocore.exceptions.ClientError: An error occurred (NoSuchKey) when calling the "
                    "GetObject operation: The specified key does not exist.",
            lambda: "Decompressed image is larger than the 89,478,485 pixel limit (DecompressionBombError).",
        ))()
    if topic == "webhooks":
        host = rng.choice(PARTNER_HOSTS)
        return rng.choice((
            lambda: f"HTTP 503 Service Unavailable from https://{host}/callbacks/sokka after 3 attempts.",
            lambda: f"requests.exceptions.ConnectTimeout: HTTPSConnectionPool(host='{host}', port=443): "
                    "Max retries exceeded with url: /callbacks/sokka (connect timeout=10)",
            lambda: "Signature check failed: X-Signature does not match the payload (secret rotated?).",
        ))()
    if topic == "reports.nightly":
        return rng.choice((
            lambda: traceback_text(
                [("/srv/reports/reports/run.py", 112, "run",
                  "rows = cursor.execute(query, params).fetchall()"),
                 ("/usr/lib/python3.12/site-packages/psycopg/cursor.py", 97, "execute",
                  "raise ex.with_traceback(None)")],
                "psycopg.errors.QueryCanceled: canceling statement due to statement timeout",
            ) + _DURING_HANDLING + traceback_text(
                [("/srv/reports/reports/run.py", 118, "run",
                  "raise ReportFailed(report, 'query timed out')")],
                "reports.errors.ReportFailed: sales-by-day: query timed out after 1800 s",
            ),
            lambda: "MemoryError: the export needed more than the worker's 4 GiB.",
        ))()
    return rng.choice((
        lambda: "elasticsearch.ApiError: ApiError(429, 'es_rejected_execution_exception', "
                "'rejected execution of coordinating operation')",
        lambda: "mapper_parsing_exception: failed to parse field [price] of type [float] in document "
                f"with id 'SKU-{rng.randint(1000, 9999)}'. Preview of field's value: 'N/A'",
        lambda: "Index products-v8 is read-only: flood-stage disk watermark [95%] exceeded.",
    ))()
