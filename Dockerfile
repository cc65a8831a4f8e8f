# iamdiag: the CLI and the daemon (`iamdiag serve`) in one static binary.
#
#   docker build -t iamdiag .
#   docker run --rm -p 8080:8080 -e IAMDIAG_TOKEN=... -v $PWD/snapshot.json:/data/snapshot.json:ro \
#       iamdiag serve --listen 0.0.0.0:8080 --snapshot /data/snapshot.json
#
# CI builds the same binary the build stage builds (CGO_ENABLED=0, -trimpath)
# and runs it: there is no Docker engine on the development machines.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# A static binary: no libc in the final image.
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/iamdiag ./cmd/iamdiag \
 && /out/iamdiag help >/dev/null

# distroless/static: CA certificates (for AWS and Slack over TLS), tzdata,
# /etc/passwd with the nonroot user (65532), and nothing else: no shell, no
# package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/iamdiag /usr/local/bin/iamdiag
USER nonroot:nonroot
# Inside a container the daemon must listen on all interfaces, which needs a
# token (IAMDIAG_TOKEN or --token-file): --no-auth is refused off loopback.
ENV IAMDIAG_LISTEN=0.0.0.0:8080
EXPOSE 8080
# No shell or curl in the image: the binary checks itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/iamdiag", "serve", "--healthcheck", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/local/bin/iamdiag"]
CMD ["serve"]
