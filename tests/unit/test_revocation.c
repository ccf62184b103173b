/* Revocation status at a time T against evidence no code of ours made: a CA run by
 * `openssl ca` (index file, revocations with reasons, a hold, CRLs, a stale CRL, a CRL
 * forged under the CA's name) and OCSP responses from `openssl ocsp` (by an authorised
 * responder, and by a certificate the CA never authorised). Fetching runs against
 * python3's http.server on 127.0.0.1: CRL download, cache, archive, size limit, errors. */
#include "testutil.h"

#include <seal/error.h>
#include <seal/revocation.h>

#include <openssl/pem.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *dir;
static int port;
static char base_url[64];

static X509 *load(const char *name)
{
    FILE *f = fopen(test_path(dir, name), "r");
    assert_non_null(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    return x;
}

static int free_port(void)
{
    FILE *p = popen("python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\", 0)); "
                    "print(s.getsockname()[1])'",
                    "r");
    int n = 0;
    if (!p || fscanf(p, "%d", &n) != 1)
        n = 0;
    if (p)
        pclose(p);
    return n;
}

static const char ca_conf[] =
    "[ca]\ndefault_ca = CA_default\n"
    "[CA_default]\ndir = .\ndatabase = index.txt\nnew_certs_dir = newcerts\n"
    "certificate = ca.pem\nprivate_key = ca.key\nserial = serial\ncrlnumber = crlnumber\n"
    "default_md = sha256\ndefault_days = 365\ndefault_crl_days = 7\npolicy = any\n"
    "unique_subject = no\n"
    "[any]\ncommonName = supplied\n"
    "[leaf]\nkeyUsage = critical,digitalSignature,nonRepudiation\n"
    "authorityKeyIdentifier = keyid\ncrlDistributionPoints = URI:%s/ca.crl\n"
    "[bare]\nkeyUsage = critical,digitalSignature,nonRepudiation\n"
    "[responder]\nkeyUsage = critical,digitalSignature\nextendedKeyUsage = OCSPSigning\n"
    "noCheck = ignored\n"
    "[plainresponder]\nkeyUsage = critical,digitalSignature\nextendedKeyUsage = OCSPSigning\n"
    "[crl_ext]\nauthorityKeyIdentifier = keyid\n"
    /* RFC 5280 5.2.4: `openssl ca` has no setting for deltaCRLIndicator; the generic
     * form writes it (BaseCRLNumber 1: www/ca.crl). */
    "[delta_ext]\nauthorityKeyIdentifier = keyid\n2.5.29.27 = critical,ASN1:INTEGER:1\n"
    "[late_delta_ext]\nauthorityKeyIdentifier = keyid\n2.5.29.27 = critical,ASN1:INTEGER:90\n"
    "[crlsigner]\nkeyUsage = critical,cRLSign\n"
    "[indirectleaf]\nkeyUsage = critical,digitalSignature\n"
    "crlDistributionPoints = dp\n"
    "[dp]\nfullname = URI:%s/indirect.crl\nCRLissuer = dirName:crlissuer_dn\n"
    "[crlissuer_dn]\nCN = Indirect CRL Issuer\n";

/* An indirect CRL (RFC 5280 5.2.5, 5.3.3) by the CRL issuer, whose one entry names the
 * certificate `indirect.pem` of issuer argv[2]; `openssl ca` cannot write
 * certificateIssuer entries. argv[3] "direct": without indirectCRL in the issuing
 * distribution point. */
static const char indirect_py[] =
    "import sys, datetime\n"
    "from cryptography import x509\n"
    "from cryptography.x509.oid import NameOID\n"
    "from cryptography.hazmat.primitives import hashes, serialization\n"
    "key = serialization.load_pem_private_key(open('crlissuer.key','rb').read(), None)\n"
    "me = x509.load_pem_x509_certificate(open('crlissuer.pem','rb').read())\n"
    "leaf = x509.load_pem_x509_certificate(open('indirect.pem','rb').read())\n"
    "now = datetime.datetime.now(datetime.timezone.utc)\n"
    "entry = (x509.RevokedCertificateBuilder().serial_number(leaf.serial_number)\n"
    "    .revocation_date(now - datetime.timedelta(minutes=5))\n"
    "    .add_extension(x509.CertificateIssuer([x509.DirectoryName(\n"
    "        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, sys.argv[2])]))]), True)\n"
    "    .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), False).build())\n"
    "b = (x509.CertificateRevocationListBuilder().issuer_name(me.subject)\n"
    "    .last_update(now - datetime.timedelta(minutes=1))\n"
    "    .next_update(now + datetime.timedelta(days=1)).add_revoked_certificate(entry)\n"
    "    .add_extension(x509.CRLNumber(1), False))\n"
    "if sys.argv[3] != 'direct':\n"
    "    b = b.add_extension(x509.IssuingDistributionPoint(None, None, False, False, None,\n"
    "        True, False), True)\n"
    "open(sys.argv[1], 'wb').write(b.sign(key, hashes.SHA256())\n"
    "    .public_bytes(serialization.Encoding.DER))\n";

static int setup(void **state)
{
    (void)state;
    if (test_run("command -v openssl python3 >/dev/null") != 0) {
        fprintf(stderr, "openssl or python3 missing: skipping\n");
        exit(77);
    }
    dir = test_tmpdir();
    port = free_port();
    if (port <= 0)
        return -1;
    snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d", port);
    FILE *f = fopen(test_path(dir, "ca.cnf"), "w");
    if (!f)
        return -1;
    fprintf(f, ca_conf, base_url, base_url);
    fclose(f);
    f = fopen(test_path(dir, "indirect.py"), "w");
    if (!f)
        return -1;
    fputs(indirect_py, f);
    fclose(f);
    int rc = test_run(
        "set -e; cd '%s'; mkdir newcerts www archive cache; touch index.txt; echo 1000 > serial;"
        "echo 01 > crlnumber;"
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 "
        "  -subj '/CN=Revocation Test CA' -addext 'basicConstraints=critical,CA:TRUE' "
        "  -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null;"
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout forger.key -out forger.pem "
        "  -days 3650 -subj '/CN=Revocation Test CA' 2>/dev/null;"
        "for n in good revoked held later rogue bare; do"
        "  openssl req -newkey rsa:2048 -nodes -keyout $n.key -out $n.csr -subj /CN=$n 2>/dev/null;"
        "  ext=leaf; [ $n = bare ] && ext=bare;"
        "  openssl ca -batch -config ca.cnf -extensions $ext -in $n.csr -out $n.pem 2>/dev/null;"
        "done;"
        "openssl req -newkey rsa:2048 -nodes -keyout responder.key -out responder.csr "
        "  -subj /CN=responder 2>/dev/null;"
        "openssl ca -batch -config ca.cnf -extensions responder -in responder.csr "
        "  -out responder.pem 2>/dev/null;"
        "openssl ca -batch -config ca.cnf -extensions plainresponder -in responder.csr "
        "  -out plain.pem 2>/dev/null;"
        "openssl ca -config ca.cnf -revoke revoked.pem -crl_reason keyCompromise 2>/dev/null;"
        "openssl ca -config ca.cnf -revoke held.pem -crl_hold holdInstructionReject 2>/dev/null;"
        "openssl ca -config ca.cnf -gencrl -crlexts crl_ext -out www/ca.crl 2>/dev/null;"
        "openssl ca -config ca.cnf -gencrl -crlexts crl_ext -crl_lastupdate 20200101000000Z "
        "  -crl_nextupdate 20200108000000Z -out stale.crl 2>/dev/null;"
        "openssl ca -config ca.cnf -gencrl -keyfile forger.key -cert forger.pem "
        "  -out forged.crl 2>/dev/null;"
        "head -c 200000 /dev/urandom > www/big.crl;"
        "for n in good revoked; do"
        "  openssl ocsp -issuer ca.pem -cert $n.pem -reqout $n.req -no_nonce 2>/dev/null;"
        "  openssl ocsp -index index.txt -rsigner responder.pem -rkey responder.key -CA ca.pem "
        "    -reqin $n.req -respout $n.ocsp -ndays 1 2>/dev/null;"
        "done;"
        "openssl ocsp -index index.txt -rsigner rogue.pem -rkey rogue.key -CA ca.pem "
        "  -reqin good.req -respout rogue.ocsp -ndays 1 2>/dev/null;"
        "openssl ocsp -index index.txt -rsigner plain.pem -rkey responder.key -CA ca.pem "
        "  -reqin good.req -respout plain.ocsp -ndays 1 2>/dev/null;"
        /* Delta CRLs on www/ca.crl (number 1): "held" released (removeFromCRL, after
         * taking it back to valid in the index, as `openssl ca` cannot release a hold),
         * one on a base CRL never seen, one forged. */
        "sed -i '/CN=held$/s/^R\\(\t[0-9Z]*\\)\t[^\t]*/V\\1\t/' index.txt;"
        "openssl ca -config ca.cnf -revoke held.pem -crl_reason removeFromCRL 2>/dev/null;"
        "openssl ca -config ca.cnf -gencrl -crlexts delta_ext -out delta.crl 2>/dev/null;"
        "openssl ca -config ca.cnf -gencrl -crlexts late_delta_ext -out late-delta.crl "
        "  2>/dev/null;"
        "openssl ca -config ca.cnf -gencrl -crlexts delta_ext -keyfile forger.key "
        "  -cert forger.pem -out forged-delta.crl 2>/dev/null;"
        "openssl req -newkey rsa:2048 -nodes -keyout crlissuer.key -out crlissuer.csr "
        "  -subj '/CN=Indirect CRL Issuer' 2>/dev/null;"
        "openssl ca -batch -config ca.cnf -extensions crlsigner -in crlissuer.csr "
        "  -out crlissuer.pem 2>/dev/null;"
        "openssl req -newkey rsa:2048 -nodes -keyout indirect.key -out indirect.csr "
        "  -subj /CN=indirect 2>/dev/null;"
        "openssl ca -batch -config ca.cnf -extensions indirectleaf -in indirect.csr "
        "  -out indirect.pem 2>/dev/null;"
        "if python3 -c 'import cryptography' 2>/dev/null; then"
        "  python3 indirect.py indirect.crl 'Revocation Test CA' indirect;"
        "  python3 indirect.py indirect-other.crl 'Another CA' indirect;"
        "  python3 indirect.py indirect-direct.crl 'Revocation Test CA' direct;"
        "fi;"
        "python3 -m http.server --bind 127.0.0.1 --directory www %d >/dev/null 2>&1 &"
        "echo $! > http.pid;"
        "for i in $(seq 50); do python3 -c 'import urllib.request,sys; "
        "urllib.request.urlopen(sys.argv[1])' %s/ca.crl 2>/dev/null && break; sleep 0.1; done",
        dir, port, base_url);
    if (rc != 0) {
        fprintf(stderr, "could not set up the openssl CA (exit %d)\n", rc);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return test_run("kill $(cat '%s/http.pid') 2>/dev/null; true", dir) == 0 ? 0 : -1;
}

static seal_revocation *ctx_with(const char *const *files, bool offline)
{
    seal_revocation *rv;
    seal_revocation_opts o = {.offline = offline};
    assert_int_equal(seal_revocation_new(&rv, &o), 0);
    for (size_t i = 0; files && files[i]; i++)
        assert_int_equal(seal_revocation_add_file(rv, test_path(dir, files[i])), 0);
    return rv;
}

static void status_of(seal_cert_status *st, const char *const *files, const char *cert, time_t at)
{
    seal_revocation *rv = ctx_with(files, true);
    X509 *c = load(cert), *ca = load("ca.pem");
    assert_int_equal(seal_pki_status_at(st, rv, c, ca, at), 0);
    X509_free(c);
    X509_free(ca);
    seal_revocation_free(rv);
}

static void test_crl_good_revoked_held(void **state)
{
    (void)state;
    static const char *const crl[] = {"www/ca.crl", NULL};
    seal_cert_status st;
    time_t now = time(NULL);

    status_of(&st, crl, "good.pem", now);
    assert_int_equal(st.state, SEAL_CERT_GOOD);
    assert_int_equal(st.evidence.kind, SEAL_EVIDENCE_CRL);
    assert_non_null(st.evidence.crl_number);
    assert_non_null(strstr(st.evidence.signer, "Revocation Test CA"));
    assert_true(st.evidence.der.len > 0);
    seal_cert_status_clear(&st);

    status_of(&st, crl, "revoked.pem", now);
    assert_int_equal(st.state, SEAL_CERT_REVOKED);
    assert_int_equal(st.reason, 1);
    assert_string_equal(seal_crl_reason_name(st.reason), "keyCompromise");
    seal_cert_status_clear(&st);

    /* Before the revocation: good then, and the status says it was revoked later. */
    status_of(&st, crl, "revoked.pem", now - 3600);
    assert_int_equal(st.state, SEAL_CERT_GOOD);
    assert_true(st.revoked_later);
    assert_true(st.revoked_at > now - 3600);
    seal_cert_status_clear(&st);

    status_of(&st, crl, "held.pem", now);
    assert_int_equal(st.state, SEAL_CERT_SUSPENDED);
    assert_int_equal(st.reason, 6);
    seal_cert_status_clear(&st);
}

static void test_crl_refused(void **state)
{
    (void)state;
    static const char *const stale[] = {"stale.crl", NULL};
    static const char *const forged[] = {"forged.crl", NULL};
    seal_cert_status st;
    time_t now = time(NULL);

    /* Past nextUpdate and issued before T: says nothing about T. */
    status_of(&st, stale, "good.pem", now);
    assert_int_equal(st.state, SEAL_CERT_UNKNOWN);
    assert_non_null(strstr(st.detail, "stale"));
    assert_non_null(strstr(st.detail, "offline"));
    seal_cert_status_clear(&st);

    /* The same CRL was issued in 2020, after T = 2019: it speaks about 2019. */
    status_of(&st, stale, "good.pem", 1546300800 /* 2019-01-01 */);
    assert_int_equal(st.state, SEAL_CERT_GOOD);
    seal_cert_status_clear(&st);

    status_of(&st, forged, "revoked.pem", now);
    assert_int_equal(st.state, SEAL_CERT_UNKNOWN);
    assert_non_null(strstr(st.detail, "signature does not verify"));
    seal_cert_status_clear(&st);
}

/* RFC 5280 5.2.4: a delta CRL counts only with a complete CRL it builds on. */
static void test_delta_crl(void **state)
{
    (void)state;
    static const char *const with_delta[] = {"www/ca.crl", "delta.crl", NULL};
    static const char *const delta_alone[] = {"delta.crl", NULL};
    static const char *const late[] = {"www/ca.crl", "late-delta.crl", NULL};
    static const char *const forged[] = {"www/ca.crl", "forged-delta.crl", NULL};
    seal_cert_status st;
    time_t now = time(NULL);

    /* On hold in the complete CRL, removeFromCRL in the delta: good. */
    status_of(&st, with_delta, "held.pem", now);
    assert_int_equal(st.state, SEAL_CERT_GOOD);
    assert_string_equal(st.evidence.crl_number, "1");
    assert_non_null(st.evidence.delta_crl_number);
    assert_true(st.evidence.delta_der.len > 0);
    assert_non_null(strstr(st.detail, "delta CRL"));
    seal_cert_status_clear(&st);

    /* Revoked in the delta (and the base): revoked. */
    status_of(&st, with_delta, "revoked.pem", now);
    assert_int_equal(st.state, SEAL_CERT_REVOKED);
    assert_int_equal(st.reason, 1);
    seal_cert_status_clear(&st);

    status_of(&st, with_delta, "good.pem", now);
    assert_int_equal(st.state, SEAL_CERT_GOOD);
    seal_cert_status_clear(&st);

    /* A delta alone is no complete CRL. */
    status_of(&st, delta_alone, "good.pem", now);
    assert_int_equal(st.state, SEAL_CERT_UNKNOWN);
    seal_cert_status_clear(&st);

    /* BaseCRLNumber 90 is above the complete CRL's 1: the delta does not apply, the hold
     * stands; likewise a delta the CA did not sign. */
    status_of(&st, late, "held.pem", now);
    assert_int_equal(st.state, SEAL_CERT_SUSPENDED);
    assert_null(st.evidence.delta_crl_number);
    seal_cert_status_clear(&st);
    status_of(&st, forged, "held.pem", now);
    assert_int_equal(st.state, SEAL_CERT_SUSPENDED);
    seal_cert_status_clear(&st);

    /* The public check wants a complete CRL. */
    X509 *c = load("held.pem"), *ca = load("ca.pem");
    FILE *f = fopen(test_path(dir, "delta.crl"), "r");
    assert_non_null(f);
    X509_CRL *delta = PEM_read_X509_CRL(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(delta);
    assert_int_equal(seal_crl_check(delta, c, ca), SEAL_EPKI);
    assert_non_null(strstr(seal_error_last(), "delta CRL"));
    X509_CRL_free(delta);
    X509_free(c);
    X509_free(ca);
}

static void indirect_status(seal_cert_status *st, const char *crl)
{
    static const char *names[] = {NULL, NULL};
    names[0] = crl;
    seal_revocation *rv = ctx_with(names, true);
    X509 *c = load("indirect.pem"), *ca = load("ca.pem"), *signer = load("crlissuer.pem");
    STACK_OF(X509) *pool = sk_X509_new_null();
    sk_X509_push(pool, signer);
    assert_int_equal(seal_revocation_add_certs(rv, pool), 0);
    assert_int_equal(seal_pki_status_at(st, rv, c, ca, time(NULL)), 0);
    sk_X509_pop_free(pool, X509_free);
    X509_free(c);
    X509_free(ca);
    seal_revocation_free(rv);
}

/* RFC 5280 5.2.5 and 5.3.3: an indirect CRL by the CRL issuer the certificate's
 * distribution point names; its entries count for the issuer they name. */
static void test_indirect_crl(void **state)
{
    (void)state;
    seal_cert_status st;
    if (access(test_path(dir, "indirect.crl"), F_OK) != 0)
        skip(); /* python3-cryptography missing */
    indirect_status(&st, "indirect.crl");
    assert_int_equal(st.state, SEAL_CERT_REVOKED);
    assert_int_equal(st.reason, 1);
    assert_non_null(strstr(st.evidence.signer, "Indirect CRL Issuer"));
    seal_cert_status_clear(&st);

    /* The same serial of another CA is not this certificate. */
    indirect_status(&st, "indirect-other.crl");
    assert_int_equal(st.state, SEAL_CERT_GOOD);
    seal_cert_status_clear(&st);

    /* certificateIssuer in a CRL not marked indirect, or a CRL issuer whose certificate
     * is not at hand: refused. */
    indirect_status(&st, "indirect-direct.crl");
    assert_int_equal(st.state, SEAL_CERT_UNKNOWN);
    assert_non_null(strstr(st.detail, "not by the certificate's issuer"));
    seal_cert_status_clear(&st);
    static const char *const only[] = {"indirect.crl", NULL};
    status_of(&st, only, "indirect.pem", time(NULL));
    assert_int_equal(st.state, SEAL_CERT_UNKNOWN);
    assert_non_null(strstr(st.detail, "no certificate for it"));
    seal_cert_status_clear(&st);
}

static void test_ocsp(void **state)
{
    (void)state;
    static const char *const good[] = {"good.ocsp", NULL};
    static const char *const revoked[] = {"revoked.ocsp", NULL};
    static const char *const rogue[] = {"rogue.ocsp", NULL};
    seal_cert_status st;
    time_t now = time(NULL);

    status_of(&st, good, "good.pem", now);
    assert_int_equal(st.state, SEAL_CERT_GOOD);
    assert_int_equal(st.evidence.kind, SEAL_EVIDENCE_OCSP);
    assert_non_null(strstr(st.evidence.signer, "responder"));
    assert_true(st.evidence.next_update > now);
    seal_cert_status_clear(&st);

    status_of(&st, revoked, "revoked.pem", now);
    assert_int_equal(st.state, SEAL_CERT_REVOKED);
    assert_int_equal(st.reason, 1);
    seal_cert_status_clear(&st);

    /* The response is about another certificate: it does not decide. */
    status_of(&st, good, "later.pem", now);
    assert_int_equal(st.state, SEAL_CERT_UNKNOWN);
    seal_cert_status_clear(&st);

    status_of(&st, rogue, "good.pem", now);
    assert_int_equal(st.state, SEAL_CERT_UNKNOWN);
    assert_non_null(strstr(st.detail, "did not authorise"));
    seal_cert_status_clear(&st);

    /* An authorised responder without id-pkix-ocsp-nocheck counts only when a CRL shows
     * its own certificate good (RFC 6960 4.2.2.2.1). */
    static const char *const plain[] = {"plain.ocsp", NULL};
    static const char *const plain_and_crl[] = {"plain.ocsp", "www/ca.crl", NULL};
    status_of(&st, plain, "good.pem", now);
    assert_int_equal(st.state, SEAL_CERT_UNKNOWN);
    assert_non_null(strstr(st.detail, "no id-pkix-ocsp-nocheck"));
    seal_cert_status_clear(&st);
    status_of(&st, plain_and_crl, "good.pem", now);
    assert_int_equal(st.state, SEAL_CERT_GOOD);
    assert_null(strstr(st.detail, "nocheck"));
    seal_cert_status_clear(&st);
}

static void test_fetch(void **state)
{
    (void)state;
    seal_revocation *rv;
    X509_CRL *crl = NULL;
    seal_buf der = SEAL_BUF_INIT;
    char url[128];
    seal_revocation_opts o = {.archive_dir = test_path(dir, "archive"), .max_crl_bytes = 100000};
    assert_int_equal(seal_revocation_new(&rv, &o), 0);

    snprintf(url, sizeof url, "%s/ca.crl", base_url);
    assert_int_equal(seal_crl_fetch(&crl, &der, rv, url), 0);
    assert_non_null(crl);
    assert_true(der.len > 0);
    X509_CRL_free(crl);
    assert_int_equal(test_run("ls '%s'/archive/*/*/*/*-crl-*.der '%s'/archive/*/*/*/*-crl-*.json "
                              ">/dev/null && grep -q '\"url\": \"%s\"' '%s'/archive/*/*/*/*.json",
                              dir, dir, url, dir),
                     0);

    snprintf(url, sizeof url, "%s/big.crl", base_url);
    assert_int_equal(seal_crl_fetch(&crl, &der, rv, url), SEAL_EFORMAT);
    assert_non_null(strstr(seal_error_last(), "larger than 100000 bytes"));

    snprintf(url, sizeof url, "%s/missing.crl", base_url);
    assert_int_equal(seal_crl_fetch(&crl, &der, rv, url), SEAL_EIO);
    assert_non_null(strstr(seal_error_last(), "HTTP 404"));

    assert_int_equal(seal_crl_fetch(&crl, &der, rv, "ldap://127.0.0.1/cn=x"), SEAL_EUNSUPPORTED);
    assert_int_equal(seal_crl_fetch(&crl, &der, rv, "file:///etc/passwd"), SEAL_EUNSUPPORTED);

    int closed = free_port();
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ca.crl", closed);
    assert_int_equal(seal_crl_fetch(&crl, &der, rv, url), SEAL_EIO);
    seal_buf_clear(&der);
    seal_revocation_free(rv);
}

/* Through the certificate's distribution point, then again offline from the cache. */
static void test_status_fetches_and_caches(void **state)
{
    (void)state;
    seal_revocation *rv;
    seal_cert_status st;
    X509 *c = load("revoked.pem"), *ca = load("ca.pem");
    seal_revocation_opts o = {.cache_dir = test_path(dir, "cache"),
                              .archive_dir = test_path(dir, "archive")};
    assert_int_equal(seal_revocation_new(&rv, &o), 0);
    assert_int_equal(seal_pki_status_at(&st, rv, c, ca, time(NULL)), 0);
    assert_int_equal(st.state, SEAL_CERT_REVOKED);
    assert_true(st.evidence.fetched_at > 0);
    assert_non_null(st.evidence.archived);
    assert_int_equal(access(st.evidence.archived, R_OK), 0);
    assert_non_null(strstr(st.evidence.source, "/ca.crl"));
    seal_cert_status_clear(&st);
    seal_revocation_free(rv);

    o.offline = true;
    assert_int_equal(seal_revocation_new(&rv, &o), 0);
    assert_int_equal(seal_pki_status_at(&st, rv, c, ca, time(NULL)), 0);
    assert_int_equal(st.state, SEAL_CERT_REVOKED);
    assert_true(strncmp(st.evidence.source, "cache: ", 7) == 0);
    seal_cert_status_clear(&st);
    seal_revocation_free(rv);

    /* A certificate that names nowhere to ask, and no evidence: unknown, saying so. */
    X509 *bare = load("bare.pem");
    o.cache_dir = NULL;
    o.offline = false;
    assert_int_equal(seal_revocation_new(&rv, &o), 0);
    assert_int_equal(seal_pki_status_at(&st, rv, bare, ca, time(NULL)), 0);
    assert_int_equal(st.state, SEAL_CERT_UNKNOWN);
    assert_non_null(strstr(st.detail, "names no OCSP responder and no CRL"));
    seal_cert_status_clear(&st);
    seal_revocation_free(rv);
    X509_free(bare);
    X509_free(c);
    X509_free(ca);
}

static void test_reason_names(void **state)
{
    (void)state;
    int r = -1;
    assert_int_equal(seal_crl_reason_parse(&r, "KeyCompromise"), 0);
    assert_int_equal(r, 1);
    assert_int_equal(seal_crl_reason_parse(&r, "aACompromise"), 0);
    assert_int_equal(r, 10);
    assert_int_equal(seal_crl_reason_parse(&r, "stolen"), SEAL_EINVAL);
    assert_null(seal_crl_reason_name(7));
    assert_string_equal(seal_cert_state_name(SEAL_CERT_SUSPENDED), "suspended");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reason_names), cmocka_unit_test(test_crl_good_revoked_held),
        cmocka_unit_test(test_crl_refused),  cmocka_unit_test(test_delta_crl),
        cmocka_unit_test(test_indirect_crl), cmocka_unit_test(test_ocsp),
        cmocka_unit_test(test_fetch),        cmocka_unit_test(test_status_fetches_and_caches),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
