# Alertmanager from Debian's package (prometheus-alertmanager), a stand-in
# for prom/alertmanager on machines that cannot pull it. Same contract as
# the official image: /bin/alertmanager is the entrypoint, the
# configuration /etc/alertmanager/alertmanager.yml, the data the
# /alertmanager volume, and it runs as nobody.
ARG DEBIAN_IMAGE=muelle/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus-alertmanager \
 && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* \
 && ln -s prometheus-alertmanager /usr/bin/alertmanager \
 && mkdir -p /alertmanager && chown nobody:nogroup /alertmanager
WORKDIR /alertmanager
VOLUME /alertmanager
USER nobody
EXPOSE 9093
ENTRYPOINT ["/bin/alertmanager"]
CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"]
