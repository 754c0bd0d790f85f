# The traceapi image: the package and its Cypher library, run as an unprivileged user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NUMBA_CACHE_DIR=/tmp/numba-cache

RUN useradd --system --create-home --uid 10001 --shell /usr/sbin/nologin traceapi \
    && install -d -o traceapi -g traceapi /home/traceapi/data

WORKDIR /src
COPY pyproject.toml README.md ./
COPY traceapi ./traceapi
COPY loaders ./loaders
COPY cypher ./cypher
RUN pip install . && cd / && rm -rf /src

USER traceapi
WORKDIR /home/traceapi
ENV TRACEAPI_DATA_DIR=/home/traceapi/data
EXPOSE 8000
CMD ["traceapi", "serve", "--host", "0.0.0.0"]
