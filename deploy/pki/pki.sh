#!/bin/sh
# Certificates for the hub station MQTT broker: one CA, one server certificate, and one client
# certificate per station, receiver and OMS publisher. The certificate's CN is the client's identity
# (mosquitto: use_identity_as_username) and each client gets its ACL block appended to DIR/acl.
#
#   pki.sh DIR ca                          CA (DIR/ca.crt, DIR/ca.key) and DIR/acl from acl.base
#   pki.sh DIR server HOSTNAME [IP]        the broker's certificate (DIR/server.crt, DIR/server.key)
#   pki.sh DIR station HUB STATION         CN=HUB/stations/STATION (DIR/HUB-STATION.crt/.key)
#   pki.sh DIR receiver NAME               CN=receiver-NAME: reads every station's events, writes acks
#   pki.sh DIR oms NAME                    CN=oms-NAME: writes the downlink of every hub
#
# Keys are EC P-256 and mode 600. Give each Pi only its own .crt/.key and ca.crt.
set -eu

usage() { sed -n '2,12p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
dir=$1; kind=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
days=${PKI_DAYS:-825}
mkdir -p "$dir"
umask 077

name_ok() {
    case $1 in
        ''|*[!A-Za-z0-9_.-]*) echo "pki.sh: '$1' must be letters, digits, '_', '.' or '-'" >&2; exit 2 ;;
    esac
}

leaf() {  # leaf FILE_STEM CN [SAN]
    stem=$1; cn=$2; san=${3:-}
    [ -f "$dir/ca.key" ] || { echo "pki.sh: no CA in $dir: run 'pki.sh $dir ca' first" >&2; exit 1; }
    ext="$dir/$stem.ext"
    if [ -n "$san" ]; then
        printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$san" > "$ext"
    else
        printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' > "$ext"
    fi
    openssl ecparam -name prime256v1 -genkey -noout -out "$dir/$stem.key"
    subject_cn=$(printf '%s' "$cn" | sed 's,/,\\/,g')  # a '/' in -subj must be escaped
    openssl req -new -key "$dir/$stem.key" -subj "/O=Hub station/CN=$subject_cn" -out "$dir/$stem.csr"
    openssl x509 -req -in "$dir/$stem.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
        -days "$days" -sha256 -extfile "$ext" -out "$dir/$stem.crt" 2>/dev/null
    rm -f "$dir/$stem.csr" "$dir/$stem.ext"
    chmod 644 "$dir/$stem.crt"
    echo "$dir/$stem.crt  CN=$cn"
}

acl() { printf '%s\n' "$@" >> "$dir/acl"; }

case $kind in
    ca)
        [ $# -eq 0 ] || usage
        openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ca.key"
        openssl req -new -x509 -key "$dir/ca.key" -subj "/O=Hub station/CN=Hub station CA" -days 3650 \
            -sha256 -out "$dir/ca.crt"
        chmod 644 "$dir/ca.crt"
        cp "$here/../mosquitto/acl.base" "$dir/acl"
        chmod 644 "$dir/acl"
        echo "$dir/ca.crt"
        ;;
    server)
        [ $# -ge 1 ] || usage
        san="DNS:$1"
        [ $# -ge 2 ] && san="$san,IP:$2"
        leaf server "$1" "$san"
        ;;
    station)
        [ $# -eq 2 ] || usage
        name_ok "$1"; name_ok "$2"
        leaf "$1-$2" "$1/stations/$2"
        acl "" "# station $2 of hub $1: its hub's downlink (its own topics come from the patterns above)" \
            "user $1/stations/$2" "topic read hubs/$1/downlink/#"
        ;;
    receiver)
        [ $# -eq 1 ] || usage
        name_ok "$1"
        leaf "receiver-$1" "receiver-$1"
        acl "" "# receiver $1" "user receiver-$1" "topic read hubs/+/stations/+/events" \
            "topic write hubs/+/stations/+/acks" "topic read hubs/+/stations/+/state" \
            "topic read hubs/+/stations/+/health"
        ;;
    oms)
        [ $# -eq 1 ] || usage
        name_ok "$1"
        leaf "oms-$1" "oms-$1"
        acl "" "# OMS publisher $1" "user oms-$1" "topic write hubs/+/downlink/#" \
            "topic write hubs/+/stations/+/downlink/#" "topic read hubs/+/stations/+/resync" \
            "topic read hubs/+/stations/+/state"
        ;;
    *) usage ;;
esac
