# One image for every process of the production set-up (docker-compose.yml: rasa1/2, actions1/2,
# web, console, the one-shot migrate); each service gives its own command. Without one, the image
# runs the embedded set-up of `make run` (scripts/run.sh). Build: docker build -t betaalhulp:latest .
# Paths match scripts/run.sh and the Makefile: the virtualenv is /app/.venv, the model
# /app/models/betaalhulp.tar.gz.
FROM python:3.10-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RASA_TELEMETRY_ENABLED=false

WORKDIR /app

# One resolver run with Rasa pinned, as `make install` does (README, "Installing by hand"): a
# package installed on its own later lets pip break Rasa's pins. No compiler needed: every
# dependency is a wheel or pure Python.
COPY requirements.txt constraints.txt ./
RUN python -m venv .venv \
 && .venv/bin/python -m pip install -r requirements.txt -c constraints.txt \
 && .venv/bin/python -m pip check

COPY . .

# The model is trained into the image, as `make train` does (about a minute on 2 cores); Rasa's
# training cache is not kept.
RUN .venv/bin/rasa train --domain domain --data data --config config.yml --out models \
      --fixed-model-name betaalhulp --quiet \
 && rm -rf .rasa

# Not root. var/ holds the embedded SQLite files when no database URL is set.
RUN useradd --system --create-home --uid 10001 betaalhulp \
 && mkdir -p var \
 && chown betaalhulp var
USER betaalhulp

# Rasa, action server, customer web app, staff console (the defaults of scripts/run.sh).
EXPOSE 5005 5055 8080 8081
CMD ["scripts/run.sh"]
