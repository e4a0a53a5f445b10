# The ASPE application: one image for every process (`aspe serve`, `aspe projections run`,
# `aspe notifier run`, `aspe worker`, `aspe beat`, or `aspe up` for all of them at once).
# Configuration comes from ASPE_* variables only (see the README's configuration table).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/aspe
# The package's metadata first: its dependencies stay in a layer of their own while only
# the code changes.
COPY pyproject.toml README.md ./
COPY aspe ./aspe
RUN pip install . \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/aspe --create-home aspe

# A deployment runs in production (ASPE_SECRET_KEY then required), its files (the
# generated keys, uploaded documents, beat's schedule) under a volume mounted here.
ENV ASPE_ENV=production \
    ASPE_DATA_DIR=/var/lib/aspe
VOLUME ["/var/lib/aspe"]
USER aspe
WORKDIR /var/lib/aspe

EXPOSE 8000
ENTRYPOINT ["aspe"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
