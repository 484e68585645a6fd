# The production image: web (gunicorn), worker and scheduler all run from it (docker-compose.yml).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# requirements.lock pins every transitive version, so rebuilds install the same packages.
COPY requirements.txt requirements.lock ./
RUN pip install -r requirements.txt -c requirements.lock

COPY . .

# collectstatic needs settings to load; these build-only values never reach a running container.
RUN DJANGO_DEBUG=false KENSA_READ_ENV_FILE=false \
    DJANGO_SECRET_KEY=collectstatic-build-only-not-a-secret AI_CALLBACK_SECRET=collectstatic-build-only \
    python manage.py collectstatic --noinput \
 && useradd --create-home --uid 10001 kensa \
 && mkdir -p /app/var/media \
 && chown -R kensa:kensa /app/var

USER kensa
EXPOSE 8000
CMD ["gunicorn", "kensa.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
