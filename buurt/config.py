"""Safe, non-secret defaults. Instance config and BUURT_* environment variables override them."""

DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused outside the flask CLI and tests


class Defaults:
    """Defaults for every deployment; read by create_app, never at import elsewhere."""

    SECRET_KEY = DEV_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = None  # filled in by create_app: sqlite in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024  # uploads (photos, GeoJSON); larger gets a Dutch 413 page
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    # Secure cookies (sent over HTTPS only): None means "when SITE_URL starts with https://"
    # (buurt.security); true/false (BUURT_SESSION_COOKIE_SECURE) overrides, e.g. for a test over http.
    SESSION_COOKIE_SECURE = None
    REMEMBER_COOKIE_SECURE = None
    PERMANENT_SESSION_LIFETIME = 8 * 3600  # the cookie's lifetime; the server-side limits below decide
    # Staff logins are rows in user_session (buurt.auth.sessions): a login ends this long after it
    # began however busy it is (a working day), and after this long without a request (an unattended
    # laptop); logging out, a password change and disabling the account end it at once.
    LOGIN_MAX_AGE = 8 * 3600
    LOGIN_IDLE_TIMEOUT = 30 * 60
    # Strict-Transport-Security on HTTPS responses: browsers then refuse plain http for a year.
    # 0 sends none (e.g. while trying HTTPS out on a new domain).
    HSTS_MAX_AGE = 365 * 24 * 3600
    WTF_CSRF_TIME_LIMIT = 4 * 3600

    # Language
    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"
    LANGUAGES = ("nl", "en")

    # Neighbourhood shown by default
    NEIGHBOURHOOD_SLUG = "rijnsoever"
    CONTACT_EMAIL = "buurtwhatsapp-rijnsoever@example.org"
    # The gemeente all neighbourhoods lie in (issue 18): its name and CBS code. Its outline is the
    # union of its shipped CBS buurten (buurt/data/katwijk_buurten_2024.geojson).
    GEMEENTE_NAME = "Katwijk"
    GEMEENTE_CODE = "GM0537"
    # An address in the gemeente but in no neighbourhood's area gets the nearest group within this
    # distance ("valt tussen twee buurten"), and may sign up there; further away it is "outside".
    NEAREST_GROUP_MAX_M = 750.0

    # Geocoding: the address register first, then online services
    GEOCODER_CHAIN = ("register", "pdok", "nominatim")
    GEOCODER_USER_AGENT = "buurt-rijnsoever/1.0 (+buurtwhatsapp-rijnsoever@example.org)"
    GEOCODER_TIMEOUT = 4.0
    GEOCODER_MIN_DELAY = 1.0
    # A request waits at most this long for its turn at an online service, else it counts as
    # unavailable (a sign-up is kept to geocode later). Worst case per online service:
    # GEOCODER_MAX_WAIT + GEOCODER_TIMEOUT.
    GEOCODER_MAX_WAIT = 2.0
    # Issue 12 (a hanging or trickling geocoder held a worker thread per lookup; 24 lookups took
    # /health from 3 ms to 10 s). A lookup spends at most this long on all online services
    # together; a slow HTTP call is cut off (its socket shut) at the deadline, however slowly the
    # server trickles. GEOCODER_TIMEOUT stays the limit of one call and of each socket operation.
    GEOCODER_TOTAL_DEADLINE = 3.0
    # Online calls at once per process (all services); more are answered "try again / pick your
    # house on the map" at once. Below gunicorn's 4 threads per worker, so /health and the
    # beheerders always have threads left.
    GEOCODER_MAX_CONCURRENT = 2
    # A service that failed (error, timeout, cut off) this many times in a row is skipped for the
    # cool-down, then tried with one call.
    GEOCODER_BREAKER_FAILURES = 3
    GEOCODER_BREAKER_COOLDOWN = 60.0
    # Online answers kept in memory per process (postcode + house -> point or "not found"), so a
    # sign-up right after the resident's own lookup is placed without asking online again.
    GEOCODER_RECENT_TTL = 30 * 60
    GEOCODER_RECENT_SIZE = 2000
    # Sign-ups stored as TO_GEOCODE (the address was not in the register) are placed by a thread
    # in each web worker this often (one process at a time); else run `flask buurt geocode-pending`.
    GEOCODE_LATER_THREAD = True
    GEOCODE_LATER_SECONDS = 60
    PDOK_URL = "https://api.pdok.nl/bzk/locatieserver/search/v3_1"
    # PDOK answers at most this many docs per request; a house number with more addresses (a
    # block of flats) is paged, up to PDOK_MAX_HOUSES addresses in all.
    PDOK_ROWS = 100
    PDOK_MAX_HOUSES = 1000
    # Up to this many addresses the register is answered from an in-memory snapshot in each
    # worker; above it, from indexed database queries (issue 14). Measured (bench_register_scale.py,
    # SQLite): a snapshot costs ~1.1 KB an address in every worker (a worker is 120 MB without it;
    # 240 MB at 100k, 400 MB at 250k, 680 MB at 500k) and takes seconds to (re)load after every
    # change to the register; a query costs ~50 us against ~15 us from memory, and no memory at any
    # size (121 MB at 1M). 100k keeps a worker under 300 MB with the faster snapshot for a town.
    ADDRESS_SNAPSHOT_MAX = 100_000
    NOMINATIM_URL = "https://nominatim.openstreetmap.org"
    BORDER_MARGIN_M = 25.0

    # Groups and residents
    DEFAULT_GROUP_CAPACITY = 256
    CAPACITY_WARNING = 0.9
    MINIMUM_AGE = 16
    RETENTION_DAYS = 60
    # Issue 13 (privacy): how long each kind of personal data is kept. `flask buurt purge --apply`
    # (and the daily purge thread, PURGE_THREAD) applies every period; the privacy page and
    # docs/privacy.md are generated from these values, so they cannot drift apart.
    RETENTION_WAITLIST_DAYS = 365  # on the waitlist without a place: removed after this long
    RETENTION_INCIDENT_DETAIL_DAYS = 180  # description, details, photo, street and exact point
    RETENTION_INCIDENT_DAYS = 2 * 365  # the anonymous rest (category, day, area) of a report
    RETENTION_MELDING_DAYS = 365  # meldkamer alerts with their text and place
    RETENTION_AUDIT_DAYS = 2 * 365  # the audit log: who viewed, exported or changed what
    RETENTION_ADDRESS_CACHE_DAYS = 30  # addresses answered by an online geocoder (PDOK, Nominatim)
    RETENTION_TASK_DONE_DAYS = 30  # finished WhatsApp tasks (already stripped of name and number)
    RETENTION_TASK_OPEN_DAYS = 90  # an open task's name and number, if nobody marks it done
    RETENTION_OUTBOX_DAYS = 30  # sent or given-up mail (addresses and text are erased at once)
    RETENTION_SESSION_DAYS = 30  # ended staff logins
    PURGE_THREAD = True  # each web worker runs the purge once a day (one process at a time)
    PURGE_HOUR = 4  # local hour (Europe/Amsterdam) after which the daily purge runs
    # The versions of the privacy statement and group rules a resident agrees to at sign-up (stored
    # with the consent; shown in Mijn gegevens). Bump them when the text changes (a test checks).
    PRIVACY_VERSION = "2026-12-02"
    RULES_VERSION = "2026-12-02.2"  # SAAR in "u" and plain words (issue 15); same rules
    # Who is responsible (AVG art. 13): shown on the privacy page.
    CONTROLLER_NAME = "BuurtWhatsApp Rijnsoever (stichting i.o.), Katwijk"
    SIGNUP_TOKEN_MAX_AGE = 7 * 24 * 3600
    MY_DATA_TOKEN_MAX_AGE = 24 * 3600
    TYPICAL_ADD_DAYS = 7  # shown to residents: "a beheerder usually adds you within N days"

    # Beheer (issue 5): accounts, console, coverage maps, areas
    PASSWORD_MIN_LENGTH = 10
    PASSWORD_RESET_MAX_AGE = 2 * 3600  # a reset link works this long, and only once
    WHATSAPP_MAX_GROUP_SIZE = 1024  # WhatsApp's current cap on group members
    COVERAGE_GRID_M = 100  # member density cells (RD New metres)
    COVERAGE_MIN_CELL = 5  # cells with fewer members are not shown
    AREA_UPLOAD_MAX_BYTES = 2_000_000  # GeoJSON upload of new areas
    # Caps on an area file, checked on the JSON before any geometry is built: the overlap and gap
    # checks grow faster than linearly (80,000 vertices took 34 s and the worker was killed; 20,000
    # take about 1 s). The real Rijnsoever areas have 27 vertices, Katwijk's 42 CBS buurten 278.
    AREA_MAX_FEATURES = 200
    AREA_MAX_VERTICES = 20_000
    AREA_MAX_VERTICES_PER_AREA = 5_000
    AREA_GAP_TOLERANCE_M2 = 10.0  # gaps/uncovered pieces up to this size are rounding slivers
    # Issue 17: overlaps, gaps and slivers between neighbouring areas up to this size are resolved
    # ("rechtgetrokken": given to a neighbour along the shared border) instead of refused
    AREA_SNAP_TOLERANCE_M2 = 25.0
    # The map editor: a drawn line's end within this distance of the outer edge of the areas it
    # cuts is pulled onto that edge; lines have at most this many points
    AREA_EDIT_SNAP_M = 25.0
    AREA_EDIT_MAX_LINE_POINTS = 500
    # Households per area come from the address register when its addresses inside the
    # neighbourhood are at least this share of the CBS households; otherwise from CBS by surface
    AREA_HOUSEHOLDS_REGISTER_MIN_SHARE = 0.8
    # An area import that moves more than this share of the residents (with coordinates) to
    # another group needs an explicit extra confirmation (every moved member is WhatsApp work).
    AREA_IMPORT_MAX_MOVE_SHARE = 0.10
    AUDIT_PAGE_SIZE = 100
    BEHEER_UNDO_MINUTES = 15  # a mistaken "Toegevoegd" or a task's "Gedaan" can be undone this long after the click

    # Meldingen
    MELDING_DEFAULT_RADIUS_M = 500
    MELDING_NEIGHBOUR_MARGIN_M = 500  # neighbours: groups within radius + max(radius, this) that are no target
    MELDING_UNDO_MINUTES = 15  # a mistaken "Doorgestuurd" can be undone this long after it was marked

    # Incidents: public picture
    PUBLIC_INCIDENT_DELAY_HOURS = 24
    PUBLIC_GRID_M = 150
    PUBLIC_MAX_ZOOM = 15
    # Map tiles (issue 13): every map loads its background from here, so the visitor's IP address
    # goes to this provider; the privacy page names it. Default: PDOK BRT Achtergrondkaart (Kadaster,
    # a Dutch public service). Self-hosted tiles: set the URL to your own server.
    TILES_URL = "https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/{z}/{x}/{y}.png"
    TILES_ATTRIBUTION = "Kaartgegevens &copy; Kadaster (BRT Achtergrondkaart)"
    TILES_PROVIDER = "PDOK (Kadaster)"
    TILES_MAX_ZOOM = 19
    UPLOAD_MAX_BYTES = 5 * 1024 * 1024
    # Incidents (buurt.incidents)
    PUBLIC_MIN_ADDRESSES = 5  # a public grid cell needs at least this many register addresses
    INCIDENT_MAX_AGE_DAYS = 365  # older reports are refused
    INCIDENT_DESCRIPTION_MAX = 2000
    INCIDENT_PAGE_SIZE = 50
    INCIDENT_DUPLICATE_M = 100.0  # possible duplicates: within this distance ...
    INCIDENT_DUPLICATE_MINUTES = 60  # ... and this much time
    # Photos with more pixels in their header are refused before decoding (decompression bombs). A
    # sequential JPEG is decoded at 1/2-1/8 scale, so a 48/50 MP phone photo (8160 x 6144) costs what
    # a 12 MP one does; PNG, WebP and progressive JPEG have a lower cap (photos.FULL_DECODE_MAX_PIXELS).
    UPLOAD_MAX_PIXELS = 52_000_000
    REPORT_TOKEN_MAX_AGE = 365 * 24 * 3600  # residents' personal report link
    RATELIMIT_INCIDENT_REPORT = "20 per hour"

    # Mail: no MAIL_SERVER means no mail is sent (the site still works)
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_SENDER = "BuurtWhatsApp Rijnsoever <noreply@example.org>"
    # The outbox (buurt.outbox): mail is queued with the change and sent after the commit
    MAIL_TIMEOUT = 10  # seconds per SMTP step; a whole delivery is cut off after 3x this
    MAIL_GIVE_UP_AFTER = 24 * 3600  # seconds after queueing; retries back off from 30 s to 1 h
    MAIL_SENDER_THREAD = True  # a sender thread in each web worker; else run `flask buurt mail-send --loop`
    MAIL_POLL_SECONDS = 30  # the sender thread looks for retries this often (it is woken for new mail)
    SITE_URL = "http://127.0.0.1:5000"

    # Rate limits (Flask-Limiter). buurt-db:// counts in the app's own database, so all gunicorn
    # workers (and all machines on one PostgreSQL) count together with no extra service; memory://
    # counted per worker (2 workers: twice every limit). redis://host:port/0 is the faster shared store.
    RATELIMIT_STORAGE_URI = "buurt-db://"
    RATELIMIT_STRATEGY = "fixed-window"  # the one strategy buurt-db:// implements
    # store unreachable or locked: count per worker in memory until it is back (never unlimited, never a 500)
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True  # a failed deduction after the response is logged, not a 500
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (nginx: 1). 0 trusts
    # no header: anyone can send them, and a spoofed address would dodge every per-client limit.
    TRUSTED_PROXIES = 0
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_LOOKUP = "30 per minute"
    RATELIMIT_SIGNUP = "5 per hour"
    RATELIMIT_LOGIN = "10 per 15 minutes"
    # failed logins per e-mail address, from any client (buurt.auth.throttle); a browser that logged in
    # to the account before counts on its own, so an attacker cannot lock the beheerder out
    RATELIMIT_LOGIN_ACCOUNT = "10 per 15 minutes"
    RATELIMIT_RESET_ACCOUNT = "3 per hour"  # reset mails per e-mail address, from any client (no mail flood)

    # Running it for real (issue 16): docs/deploy.md
    # Photos of incidents: None keeps them in <instance>/uploads/incidents (one machine). A path or
    # file:///path is a directory every host mounts (NFS, a shared volume); s3://bucket/prefix is
    # S3-compatible object storage (credentials from boto3's usual places: AWS_ACCESS_KEY_ID and
    # AWS_SECRET_ACCESS_KEY in the environment, never in this file), PHOTO_S3_ENDPOINT_URL for a
    # provider other than AWS (MinIO, Scaleway, ...).
    PHOTO_STORE = None
    PHOTO_S3_ENDPOINT_URL = None
    PHOTO_S3_REGION = None
    PHOTO_S3_SSE = "AES256"  # "" for a provider that refuses SSE-S3 (MinIO without KMS), "aws:kms" for KMS
    # Backups (`flask buurt backup` / `restore`): dated archives in this folder (None:
    # <instance>/backups), the newest BACKUP_KEEP kept; with BACKUP_PASSPHRASE_FILE set, encrypted
    # with the passphrase in that file (a file, so the passphrase is in no environment or unit).
    BACKUP_DIR = None
    BACKUP_KEEP = 14
    BACKUP_PASSPHRASE_FILE = None
    # pg_dump for PostgreSQL backups (pg_restore beside it); None: the newest /usr/lib/postgresql/*/bin, else PATH
    BACKUP_PG_DUMP = None
    # Health: /health answers while the process lives; /health/ready checks the database (read and
    # write), migrations at head, the photo store, and says whether mail and geocoders answer.
    # Each outside probe has this deadline; the answer is reused this long (a probe is no amplifier).
    READINESS_TIMEOUT = 2.0
    READINESS_CACHE_SECONDS = 10
    # Logs: "text" (default) or "json" (one JSON object per line: request id, route, status,
    # duration; never a query string, never a body, never an address or phone number).
    LOG_FORMAT = "text"
    LOG_LEVEL = "INFO"
    # /metrics (Prometheus text format): None answers 404; else only with "Authorization: Bearer <token>".
    METRICS_TOKEN = None
