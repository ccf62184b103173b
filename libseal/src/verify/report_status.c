/* Verdicts in the vocabulary verifiers share: each verdict and reason the verifiers record
 * (seal_sig_add_check) as an ETSI EN 319 102-1 status (5.1.3, Table 5: main indication and
 * sub-indication) with a sentence for people in English and Chinese. The renderers (JSON,
 * text, HTML, PDF) all take their status from here, so a user reads the same words
 * everywhere; docs/verify.md "Statuses" explains each one.
 *
 * The main indication follows our verdict (VALID is TOTAL_PASSED, INVALID TOTAL_FAILED,
 * INDETERMINATE INDETERMINATE). A reason that is a Table 5 sub-indication is kept as it is;
 * one of our own (MODIFIED_AFTER_SIGNING, SUSPENDED...) becomes the nearest Table 5 one and
 * stays beside it as `detail`. */
#include <seal/report.h>

#include <stddef.h>
#include <string.h>

const char *seal_etsi_indication_name(seal_etsi_indication i)
{
    switch (i) {
    case SEAL_ETSI_TOTAL_PASSED:
        return "TOTAL_PASSED";
    case SEAL_ETSI_TOTAL_FAILED:
        return "TOTAL_FAILED";
    case SEAL_ETSI_INDETERMINATE:
        return "INDETERMINATE";
    }
    return "INDETERMINATE";
}

typedef struct status_words {
    const char *code; /* the reason as a verifier records it */
    const char *etsi; /* its Table 5 sub-indication (the code itself when it is one) */
    const char *en, *zh;
} status_words;

/* Every reason the verifiers record today (libseal/src/pdf, src/ofd, src/verify), then the
 * Table 5 sub-indications they may record tomorrow. */
static const status_words words[] = {
    {"HASH_FAILURE", "HASH_FAILURE",
     "The signed content has been altered: its digest no longer matches the one the "
     "signature was made over.",
     "签署内容已被篡改：其摘要与签名时的摘要不一致。"},
    {"MODIFIED_AFTER_SIGNING", "HASH_FAILURE",
     "The document was changed after signing in a way the signature does not allow: what "
     "it shows now is not what was signed.",
     "文档在签署后被以签名不允许的方式修改：现在显示的内容不是当初签署的内容。"},
    {"SIG_CRYPTO_FAILURE", "SIG_CRYPTO_FAILURE",
     "The signature value does not verify with the signer's public key: the signature is "
     "not genuine or has been damaged.",
     "签名值无法用签署人的公钥验证：签名不真实或已损坏。"},
    {"FORMAT_FAILURE", "FORMAT_FAILURE",
     "The signature is malformed, or in a form that cannot be checked.",
     "签名格式错误，或其形式无法校验。"},
    {"REVOKED", "REVOKED",
     "The signer's certificate, or one of its chain, had been revoked before the signing "
     "time.",
     "签署人证书或其证书链中的证书在签署时间之前已被吊销。"},
    {"REVOKED_NO_POE", "REVOKED_NO_POE",
     "The certificate was revoked after the signing time the document claims, but no "
     "timestamp proves that the signature was made before the revocation.",
     "证书在文档声称的签署时间之后被吊销，但没有时间戳证明签名是在吊销之前做出的。"},
    {"SUSPENDED", "TRY_LATER",
     "The certificate was on hold (frozen) at the signing time: the verdict depends on "
     "whether its issuer releases or revokes it.",
     "签署时证书处于冻结（暂停）状态：结论取决于签发机构将其解冻还是吊销。"},
    {"TRY_LATER", "TRY_LATER",
     "Whether the certificate was revoked could not be found out: no CRL or OCSP answer "
     "covering the signing time was at hand. Try again later, online, or with the evidence.",
     "无法确认证书是否已被吊销：没有覆盖签署时间的CRL或OCSP响应。请稍后联网重试，或提供吊销证据。"},
    {"NO_CERTIFICATE_CHAIN_FOUND", "NO_CERTIFICATE_CHAIN_FOUND",
     "The signer's certificate does not lead to a trusted root certificate: who signed "
     "cannot be confirmed.",
     "签署人证书无法链接到受信任的根证书：无法确认签署人身份。"},
    {"EXPIRED", "OUT_OF_BOUNDS_NO_POE",
     "A certificate had expired at the signing time the document claims, and no timestamp "
     "proves an earlier time.",
     "在文档声称的签署时间证书已过期，且没有时间戳证明更早的签署时间。"},
    {"NOT_YET_VALID", "OUT_OF_BOUNDS_NO_POE",
     "A certificate was not yet valid at the signing time the document claims, and no "
     "timestamp proves another time.",
     "在文档声称的签署时间证书尚未生效，且没有时间戳证明其他签署时间。"},
    {"OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NO_POE",
     "A certificate was outside its validity period at the signing time the document "
     "claims, and no timestamp proves another time.",
     "在文档声称的签署时间证书不在有效期内，且没有时间戳证明其他签署时间。"},
    {"SIG_CONSTRAINTS_FAILURE", "SIG_CONSTRAINTS_FAILURE",
     "The signature breaks a rule it must follow: it names another certificate or seal "
     "than the one used, or this signer may not use this seal.",
     "签名违反了应遵守的规则：其所指的证书或印章与实际使用的不一致，或该签署人无权使用此印章。"},
    {"SEAL_OUTSIDE_VALIDITY", "SIG_CONSTRAINTS_FAILURE",
     "The seal was used outside the validity period written in it.",
     "印章在其载明的有效期之外被使用。"},
    {"CHAIN_CONSTRAINTS_FAILURE", "CHAIN_CONSTRAINTS_FAILURE",
     "The certificate chain breaks a rule of certificate validation: a certificate's "
     "signature does not verify, or an issuer's constraint is not met.",
     "证书链违反证书验证规则：某证书的签名无法验证，或不满足签发者的约束。"},
    {"CRYPTO_CONSTRAINTS_FAILURE", "CRYPTO_CONSTRAINTS_FAILURE",
     "The signature uses an algorithm that is not supported, or no longer deemed secure.",
     "签名使用了不受支持或不再被认为安全的算法。"},
    {"NO_SIGNING_CERTIFICATE_FOUND", "NO_SIGNING_CERTIFICATE_FOUND",
     "The signer's certificate is not in the signature, so the signature cannot be checked.",
     "签名中没有签署人证书，因此无法校验签名。"},
    {"NO_SIGNATURE", "SIGNED_DATA_NOT_FOUND", "The document carries no signature.",
     "文档中没有任何签名。"},
    {"SIGNED_DATA_NOT_FOUND", "SIGNED_DATA_NOT_FOUND",
     "What the signature covers could not be found in the document.",
     "在文档中找不到签名所覆盖的内容。"},
    {"REVOKED_CA_NO_POE", "REVOKED_CA_NO_POE",
     "A certificate authority of the chain was revoked, and nothing proves the signature "
     "was made before that.",
     "证书链中的某个证书颁发机构已被吊销，且没有证据证明签名早于吊销时间。"},
    {"TIMESTAMP_ORDER_FAILURE", "TIMESTAMP_ORDER_FAILURE",
     "The timestamps of the signature are not in the order they must be.",
     "签名的时间戳顺序不正确。"},
    {"NO_POE", "NO_POE", "Nothing proves that the signature existed at the time it must have.",
     "没有证据证明签名在所需时间已经存在。"},
};

static const char passed_en[] = "Every check passed: the seal is genuine, the signed content is "
                                "unchanged and the certificates were good at the signing time.";
static const char passed_zh[] = "所有检查均通过：印章真实，签署内容未被改动，签署时证书状态正常。";

void seal_status_of(seal_verdict v, const char *reason, seal_status *out)
{
    memset(out, 0, sizeof *out);
    if (v == SEAL_VERDICT_VALID) {
        out->indication = SEAL_ETSI_TOTAL_PASSED;
        out->en = passed_en;
        out->zh = passed_zh;
        return;
    }
    out->indication = v == SEAL_VERDICT_INVALID ? SEAL_ETSI_TOTAL_FAILED : SEAL_ETSI_INDETERMINATE;
    for (size_t i = 0; reason && i < sizeof words / sizeof words[0]; i++) {
        if (strcmp(words[i].code, reason) != 0)
            continue;
        out->sub_indication = words[i].etsi;
        out->detail = strcmp(words[i].code, words[i].etsi) == 0 ? NULL : reason;
        out->en = words[i].en;
        out->zh = words[i].zh;
        return;
    }
    /* A reason this table does not know (a verifier newer than it) is still a failure to
     * process the signature as it is: FORMAT_FAILURE, with the reason kept. */
    out->sub_indication = "FORMAT_FAILURE";
    out->detail = reason;
    out->en = v == SEAL_VERDICT_INVALID
                  ? "The signature failed a check; the checks below say which and why."
                  : "The signature could not be confirmed; the checks below say what is missing.";
    out->zh = v == SEAL_VERDICT_INVALID ? "签名未通过校验；下列检查项说明了原因。"
                                        : "无法确认签名有效；下列检查项说明了缺少什么。";
}
