# A distroless-sized runtime for glibc Rust binaries, assembled offline.
#
# Stand-in for gcr.io/distroless/cc-debian12:nonroot on machines that cannot
# pull it. The Debian image made by `muelle bases` lends its files; the final
# stage starts FROM scratch, so only what a dynamically linked Rust binary
# needs is in the image: the loader, libc, libm, libgcc_s, NSS for name
# lookup, CA certificates, time zones and a non-root user (uid 65532).
ARG DEBIAN_IMAGE=muelle/debian:bookworm

FROM ${DEBIAN_IMAGE} AS files
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/*
RUN set -e; lib=usr/lib/x86_64-linux-gnu; \
    mkdir -p /out/$lib /out/usr/lib64 /out/etc/ssl/certs /out/usr/share /out/tmp /out/home/nonroot; \
    ln -s usr/lib /out/lib; ln -s usr/lib64 /out/lib64; \
    cp -a /usr/lib64/ld-linux-x86-64.so.2 /out/usr/lib64/; \
    for so in ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libgcc_s.so.1 libdl.so.2 libpthread.so.0 \
              librt.so.1 libresolv.so.2 libnss_files.so.2 libnss_dns.so.2; do \
      cp -aL /$lib/$so /out/$lib/$so; \
    done; \
    cp -a /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/; \
    cp -a /usr/share/zoneinfo /out/usr/share/; \
    cp -a /etc/os-release /out/etc/os-release 2>/dev/null || cp -aL /usr/lib/os-release /out/etc/os-release; \
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > /out/etc/passwd; \
    printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' > /out/etc/group; \
    printf 'passwd: files\ngroup: files\nhosts: files dns\n' > /out/etc/nsswitch.conf; \
    chmod 1777 /out/tmp; chown 65532:65532 /out/home/nonroot

FROM scratch
COPY --from=files /out/ /
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
WORKDIR /home/nonroot
