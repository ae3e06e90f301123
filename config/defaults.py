# Built-in defaults. Order of precedence (lowest first): this file, instance/config.py,
# environment variables (see README "Configuration"), the test override.
REPORTING_ENV = "development"
SECRET_KEY = None
DATABASE_URL = None            # None: SQLite file in the instance folder
MAX_UPLOAD_MB = 200
ZIP_MAX_UNCOMPRESSED_MB = 2048
ZIP_MAX_RATIO = 200
ZIP_MAX_ENTRIES = 50
DUE_DATE_MONTHS_AFTER = 2      # due = last day of the Nth month after the period ends
LOGIN_MAX_FAILURES = 5
LOGIN_LOCKOUT_MINUTES = 15
LOGIN_RATE_PER_ADDRESS = "30 per minute"
RATELIMIT_STORAGE_URI = "memory://"   # counts per process: use redis://... with several web workers
RATELIMIT_KEY_PREFIX = "reporting"
SMTP_HOST = None
SMTP_PORT = None
SMTP_SECURITY = "starttls"
SMTP_USERNAME = None
SMTP_PASSWORD = None
SMTP_TIMEOUT = 30
MAIL_FROM = "One Care Quality Reporting <quality-reports@localhost>"
OUTBOX_DIR = None              # None: instance/outbox
DELIVERY_MAX_ATTEMPTS = 5
DELIVERY_RETRY_SECONDS = 60    # first retry; doubles each attempt
DELIVERY_STALE_SECONDS = 900   # a delivery 'sending' this long belongs to a process that died
DELIVERY_WAIT_SECONDS = 0      # how long a cycle waits for retries itself (the scheduler retries every minute)
PUBLISH_MODE = "auto"          # auto | approval
CYCLE_DELAY_DAYS = 14          # the quarterly cycle runs this many days after a period's due date
CYCLE_FIRST_PERIOD = None      # the scheduler leaves earlier periods alone (e.g. "2014Q1")
SCHEDULER_POLL_SECONDS = 30
BASE_URL = "http://127.0.0.1:5000"
BENCHMARKS_FILE = None         # None: config/benchmarks.csv
WITHHOLD_FILE = None           # None: config/withhold.csv
LOG_LEVEL = "INFO"
