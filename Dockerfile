# Không Ma Túy bot: python:3.11-slim, runs as an unprivileged user, keeps its database and
# master.key in the /data volume (0700). No secret is baked into the image: BOT_TOKEN and the
# rest come at run time (compose.yaml's env_file, or `docker run --env-file`).
#   docker build -t khong-ma-tuy .
#   docker run -d --name khong-ma-tuy --env-file bot.env -v khong-ma-tuy-data:/data khong-ma-tuy
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BOT_DATA_DIR=/data

RUN groupadd --system --gid 10001 bot \
    && useradd --system --uid 10001 --gid bot --home-dir /app --shell /usr/sbin/nologin bot \
    && mkdir -p /data \
    && chown bot:bot /data \
    && chmod 0700 /data

WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY content ./content
COPY fakegram ./fakegram
COPY fakezalo ./fakezalo
RUN pip install . && rm -rf /root/.cache

USER bot
VOLUME ["/data"]
# Webhook mode listens here (BOT_WEBHOOK_LISTEN=0.0.0.0 inside the container); polling needs no port.
EXPOSE 8443
# The web channel, when BOT_WEB_PORT=8080 (BOT_WEB_HOST=0.0.0.0 inside the container, set by
# compose.yaml): publish it to the host's loopback only, for a TLS reverse proxy or Tor.
EXPOSE 8080
CMD ["python", "-m", "bot", "run"]
