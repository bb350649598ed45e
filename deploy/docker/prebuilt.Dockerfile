# Packages a release binary built on the host onto the runtime base.
#
# `muelle up` sends a build context holding only this file and the binary
# (named `app`), never the repository. It is a Dockerfile of its own because
# the classic builder would build every stage of a multi-stage file.
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot
FROM ${RUNTIME_IMAGE}
ARG SERVICE=app
LABEL org.opencontainers.image.title="${SERVICE}"
COPY app /usr/local/bin/app
ENV PORT=8080
EXPOSE 8080
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/app"]
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/app", "--healthcheck"]
