#!/usr/bin/env bash
# A private CA and node certificates for mutual TLS between ActorService nodes (Akka remoting), made with openssl.
#
#   deploy/tls/make-certs.sh all DIR          a new CA in DIR (unless DIR has one) and a node certificate issued by it
#   deploy/tls/make-certs.sh ca DIR           a new CA: DIR/ca.crt and DIR/ca.key (refuses to overwrite one)
#   deploy/tls/make-certs.sh node DIR [CN]    a node certificate from DIR's CA: DIR/tls.crt and DIR/tls.key
#
# The names are those of the Kubernetes Secret cert-manager writes (ca.crt, tls.crt, tls.key), so the nodes read the
# same three files either way (docs/security.md):
#   kubectl -n actorservice create secret generic actorservice-remoting-tls \
#     --from-file=DIR/ca.crt --from-file=DIR/tls.crt --from-file=DIR/tls.key
# and on one machine: --remoting-tls-cert DIR/tls.crt --remoting-tls-key DIR/tls.key --remoting-tls-ca DIR/ca.crt.
#
# ca.key signs every node certificate: it is never mounted into a pod or given to a node; keep it offline.
# All nodes may share one certificate: a node proves it holds a key the cluster's CA certified, and nodes connect
# to pod IPs, so host names are not checked. Validity: NODE_DAYS (default 365), CA_DAYS (default 1825).
set -euo pipefail

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 2 ] || usage
command -v openssl >/dev/null || { echo "openssl is needed (Debian: apt-get install openssl)" >&2; exit 1; }
what=$1 dir=$2 cn=${3:-actorservice-node}
mkdir -p "$dir"
umask 077   # keys readable by their owner only

make_ca() {
  if [ -e "$dir/ca.crt" ] || [ -e "$dir/ca.key" ]; then
    echo "$dir already holds a CA (ca.crt/ca.key); rotating one is explained in docs/security.md" >&2; exit 1
  fi
  # P-256 keys: small, fast handshakes, supported by .NET's SslStream everywhere.
  openssl req -x509 -new -noenc -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" -days "${CA_DAYS:-1825}" \
    -subj "/CN=ActorService cluster CA $(date -u +%Y-%m-%d) $(openssl rand -hex 4)" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  chmod 644 "$dir/ca.crt"
  echo "CA: $dir/ca.crt (key $dir/ca.key: keep it offline)"
}

make_node() {
  [ -f "$dir/ca.crt" ] && [ -f "$dir/ca.key" ] || { echo "$dir has no CA; run: $0 ca $dir" >&2; exit 1; }
  local ext; ext=$(mktemp); trap 'rm -f "$ext" "$dir/tls.csr"' RETURN
  # Both usages: every node is a TLS server (inbound connections) and a TLS client (outbound ones).
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=DNS:$cn" > "$ext"
  openssl req -new -noenc -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -keyout "$dir/tls.key" -out "$dir/tls.csr" -subj "/CN=$cn" 2>/dev/null
  openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
    -days "${NODE_DAYS:-365}" -extfile "$ext" -out "$dir/tls.crt" 2>/dev/null
  chmod 644 "$dir/tls.crt"
  openssl verify -CAfile "$dir/ca.crt" "$dir/tls.crt" >/dev/null
  echo "node certificate: $dir/tls.crt, key $dir/tls.key (CN=$cn, issued by $dir/ca.crt)"
}

case $what in
  ca) make_ca ;;
  node) make_node ;;
  all) [ -f "$dir/ca.crt" ] || make_ca; make_node ;;
  *) usage ;;
esac
