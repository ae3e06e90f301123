# Built-in defaults. Order of precedence (lowest first): this file, instance/config.py,
# environment variables (see README "Configuration"), the test override.
REPORTING_ENV = "development"
SECRET_KEY = None
DATABASE_URL = None  # None: SQLite file in the instance folder
MAX_UPLOAD_MB = 200
ZIP_MAX_UNCOMPRESSED_MB = 512  # all entries of one ZIP (or XLSX) together, inflated in chunks against this cap
UPLOAD_MAX_FILES = 20  # files in one upload
UPLOAD_MAX_LINE_BYTES = 65_536  # one CSV line
UPLOAD_MAX_COLUMNS = 50  # columns of a CSV header or an XLSX sheet (the widest file has 14)
UPLOAD_MAX_CELLS = 6_000_000  # cells of one upload: CSV lines x header columns, XLSX sheets' extents (rows x columns)
UPLOAD_MAX_XLSX_CELLS = (
    2_000_000  # all sheets of one workbook (rows x columns): XLSX is the slow path, large packages go as CSV
)
UPLOAD_MAX_XLSX_MB = 128  # all parts of one workbook, unpacked (calamine holds strings and styles in memory)
UPLOAD_MAX_CSV_MB = 64  # all CSV files of one upload, unpacked (an honest 1 M-row package: 37 MB, 4.7 M cells)
API_MAX_JSON_KB = 64  # a JSON request body of the API (an inquiry is a few hundred bytes)
API_MAX_JSON_DEPTH = 20  # nesting of arrays and objects in a JSON body (an inquiry has depth 1)
DEFAULT_PROGRAMME = "ma-one-care"  # the programme of a command, an ICO or a page that names none (docs/programmes.md)
ZIP_MAX_RATIO = 200
ZIP_MAX_ENTRIES = 50
LOGIN_MAX_FAILURES = 5
LOGIN_LOCKOUT_MINUTES = 15
LOGIN_RATE_PER_ADDRESS = "30 per minute"
RATELIMIT_STORAGE_URI = "memory://"  # counts per process: use redis://... with several web workers
RATELIMIT_KEY_PREFIX = (
    None  # None: "reporting-" + a digest of the instance folder, so installations sharing a Redis count apart
)
API_TOKEN_DAYS = 90  # an API token's lifetime; revoked earlier when its user's password changes
SMTP_HOST = None
SMTP_PORT = None
SMTP_SECURITY = "starttls"
SMTP_USERNAME = None
SMTP_PASSWORD = None
SMTP_TIMEOUT = 30
MAIL_FROM = "Quality Reporting <quality-reports@localhost>"  # the address; each message names its programme
OUTBOX_DIR = None  # None: instance/outbox
DELIVERY_MAX_ATTEMPTS = 5
DELIVERY_RETRY_SECONDS = 60  # first retry; doubles each attempt
DELIVERY_STALE_SECONDS = 900  # a delivery 'sending' this long belongs to a process that died
DELIVERY_WAIT_SECONDS = 0  # how long a cycle waits for retries itself (the scheduler retries every minute)
PUBLISH_MODE = "preview"  # preview (ICOs see and question results for PREVIEW_DAYS first) | auto | approval
PREVIEW_DAYS = 10  # the preview window, in days
INQUIRIES_PER_HOUR = 30  # inquiries one user may open in an hour
CYCLE_DELAY_DAYS = 14  # the quarterly cycle runs this many days after a period's due date
CYCLE_FIRST_PERIOD = None  # the scheduler leaves earlier periods alone (e.g. "2014Q1")
SCHEDULER_POLL_SECONDS = 30
BASE_URL = "http://127.0.0.1:5000"
LOG_LEVEL = "INFO"
TRUSTED_PROXIES = (
    0  # reverse proxies in front of gunicorn whose X-Forwarded-For/-Proto are believed (1 behind one TLS proxy)
)
MAIL_REPLY_TO = None  # Reply-To of every message (e.g. the quality team's mailbox); unset: no Reply-To
REPORTING_TODAY = None  # an ISO date (2016-03-15) the service runs on: what is due, late, submittable; unset: today
