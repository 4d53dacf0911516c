FROM python:3.11-slim
WORKDIR /srv
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# pysaml2 signs and verifies SAML through Debian's xmlsec1 (institution sign-in).
RUN apt-get update && apt-get install -y --no-install-recommends xmlsec1 \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY app ./app
COPY workers ./workers
COPY protos ./protos
COPY migrations ./migrations
COPY wsgi.py gunicorn.conf.py ./
RUN pip install .
RUN useradd --system --uid 1000 achievements && mkdir -p /srv/instance \
    && chown achievements /srv/instance
USER achievements
EXPOSE 8000 50051
CMD ["gunicorn", "-k", "gevent", "-w", "2", "-b", "0.0.0.0:8000", "wsgi:app"]
