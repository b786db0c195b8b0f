//! Why a delivery failed, in sisimai's vocabulary, decided from what the remote server said.
//! The phrases are data gathered from real MTAs' rejection messages (sisimai's reason rules
//! were the guide); the decision order is ours: specific evidence in the server's words first,
//! then the enhanced status code, then weaker hints (the SMTP command, the reply code).

use std::fmt;

/// The bounce reasons sisimai names; `Delivered`, `Feedback` and `Vacation` describe reports
/// that are not failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BounceReason {
    AuthFailure,
    BadReputation,
    Blocked,
    ContentError,
    Delivered,
    ExceedLimit,
    Expired,
    Feedback,
    Filtered,
    HasMoved,
    HostUnknown,
    MailboxFull,
    MailerError,
    MesgTooBig,
    NetworkError,
    NoRelaying,
    NotAccept,
    NotCompliantRfc,
    OnHold,
    PolicyViolation,
    Rejected,
    RequirePtr,
    SecurityError,
    SpamDetected,
    Speeding,
    Suspend,
    SyntaxError,
    SystemError,
    SystemFull,
    TooManyConn,
    Undefined,
    UserUnknown,
    Vacation,
    VirusDetected,
}

impl BounceReason {
    pub fn as_str(self) -> &'static str {
        use BounceReason::*;
        match self {
            AuthFailure => "authfailure",
            BadReputation => "badreputation",
            Blocked => "blocked",
            ContentError => "contenterror",
            Delivered => "delivered",
            ExceedLimit => "exceedlimit",
            Expired => "expired",
            Feedback => "feedback",
            Filtered => "filtered",
            HasMoved => "hasmoved",
            HostUnknown => "hostunknown",
            MailboxFull => "mailboxfull",
            MailerError => "mailererror",
            MesgTooBig => "mesgtoobig",
            NetworkError => "networkerror",
            NoRelaying => "norelaying",
            NotAccept => "notaccept",
            NotCompliantRfc => "notcompliantrfc",
            OnHold => "onhold",
            PolicyViolation => "policyviolation",
            Rejected => "rejected",
            RequirePtr => "requireptr",
            SecurityError => "securityerror",
            SpamDetected => "spamdetected",
            Speeding => "speeding",
            Suspend => "suspend",
            SyntaxError => "syntaxerror",
            SystemError => "systemerror",
            SystemFull => "systemfull",
            TooManyConn => "toomanyconn",
            Undefined => "undefined",
            UserUnknown => "userunknown",
            Vacation => "vacation",
            VirusDetected => "virusdetected",
        }
    }

    /// A hard bounce: retrying the same address will fail again (the mailbox or domain does
    /// not exist, has moved, or accepts no mail). Everything else may succeed later or after
    /// the sender fixes something on their side.
    pub fn is_hard(self) -> bool {
        matches!(
            self,
            BounceReason::UserUnknown
                | BounceReason::HostUnknown
                | BounceReason::HasMoved
                | BounceReason::NotAccept
        )
    }
}

impl fmt::Display for BounceReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The SMTP command a rejection answered, when the bounce says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Command {
    Connect,
    Helo,
    MailFrom,
    RcptTo,
    Data,
}

/// What one failed recipient's report says, before deciding the reason.
#[derive(Debug, Clone, Default)]
pub(crate) struct Evidence<'a> {
    /// The server's words, lower case, whitespace collapsed.
    pub diagnostic: &'a str,
    pub status: Option<&'a str>,
    pub reply_code: Option<u16>,
    pub command: Option<Command>,
    /// The DSN's Action field (failed, delayed, delivered, relayed, expanded).
    pub action: Option<&'a str>,
    /// Diagnostic-Code type other than SMTP (X-Unix, X-Postfix, …).
    pub non_smtp_diagnostic: bool,
    /// Diagnostic-Code type X-Unix: a local delivery program (procmail, a pipe) answered.
    pub program_diagnostic: bool,
}

use BounceReason::*;

/// Phrases per reason (lower case). A phrase written with `…` matches its pieces in order
/// with anything between them.
const PHRASES: &[(BounceReason, &[&str])] = &[
    (
        MailboxFull,
        &[
            "account disabled temporarly for exceeding receiving limits",
            "boite du destinataire pleine",
            "exceeded storage allocation",
            "full mailbox",
            "mailbox exceeds allowed size",
            "mailbox size limit exceeded",
            "mailbox would exceed maximum allowed storage",
            "mailfolder is full",
            "no space left on device",
            "not sufficient disk space",
            "quota violation for",
            "too much mail data",
            "user has exceeded quota, bouncing mail",
            "user has too many messages on the server",
            "user's space has been used up",
            "account is…quota",
            "disk…quota",
            "enough… space",
            "mailbox…exceeded… limit",
            "mailbox…full",
            "mailbox…quota",
            "maildir…quota",
            "over…quota",
            "quota…exceeded",
            "mailbox is full",
            "recipient's mailbox is full",
            "exceeds the quota",
            "has exceeded his/her disk space limit",
            "is over the allowed quota",
        ],
    ),
    (
        MesgTooBig,
        &[
            "exceeded maximum inbound message size",
            "exceeded the maximum incoming message size",
            "line limit exceeded",
            "resolver.rst.recipsizelimit",
            "max message size exceeded",
            "message file too big",
            "message length exceeds administrative limit",
            "message size exceeds fixed limit",
            "message size exceeds fixed maximum message size",
            "message size exceeds maximum value",
            "message too big",
            "size limit",
            "taille limite du message atteinte",
            "message is too large",
            "message size exceeds",
        ],
    ),
    (
        ExceedLimit,
        &["message header size exceeds limit", "message too large"],
    ),
    (
        Suspend,
        &[
            " is currently suspended",
            " temporary locked",
            "archived recipient",
            "boite du destinataire archivee",
            "email account that you tried to reach is disabled",
            "has been suspended",
            "inactive account",
            "invalid/inactive user",
            "is a deactivated mailbox",
            "is unavailable: user is terminated",
            "mailbox currently suspended",
            "mailbox disabled",
            "mailbox is frozen",
            "mailbox unavailable or access denied",
            "recipient rejected: temporarily inactive",
            "recipient suspend the service",
            "the email account that you tried to reach is inactive",
            "this account has been disabled or discontinued",
            "this account has been temporarily suspended",
            "this mailbox is disabled",
            "user or domain is disabled",
            "user suspended",
            "account is locked",
            "account disabled",
            "account has been disabled",
            "account is disabled",
            "user account is expired",
            "the user(s) account is disabled",
        ],
    ),
    (HasMoved, &[" has been replaced by "]),
    (
        NoRelaying,
        &[
            "as a relay",
            "email address is not verified.",
            "insecure mail relay",
            "is not permitted to relay through this server without authentication",
            "mail server requires authentication when attempting to send to a non-local e-mail address",
            "no relaying",
            "not a gateway",
            "not allowed to relay through this machine",
            "not an open relay, so get lost",
            "not local host",
            "relay access denied",
            "relay denied",
            "relay not permitted",
            "relaying denied",
            "relaying mail to ",
            "specified domain is not allowed",
            "that domain isn't in my list of allowed rcpthost",
            "this system is not configured to relay mail",
            "unable to relay ",
            "we don't handle mail for",
            "relaying not allowed",
            "relay prohibited",
        ],
    ),
    (
        AuthFailure,
        &[
            "//spf.pobox.com",
            "bad spf records for",
            "dmarc policy",
            "does not have authentication information or fails to pass",
            "doesn't meet the required authentication level",
            "please inspect your spf settings",
            "sender policy framework (spf) fail",
            "sender policy framework violation",
            "spf (sender policy framework) domain authentication fail",
            "spf check: fail",
            "the 5322.from address doesn't meet the authentication requirements",
            " is not allowed to send mail.…_401",
            "is not allowed to send from <… per it's spf record",
            "dkim signature",
            "unauthenticated email from",
            "spf fail",
            "spf validation",
            "failed the spf",
            "dmarc",
        ],
    ),
    (
        UserUnknown,
        &[
            "#5.1.1 bad address",
            "550 address invalid",
            "5.1.0 address rejected.",
            "address does not exist",
            "address not present in directory",
            "address unknown",
            "can't accept user",
            "does not exist.",
            "destination addresses were unknown",
            "destination server rejected recipients",
            "email address does not exist",
            "email address could not be found",
            "invalid address",
            "invalid mailbox",
            "invalid recipient",
            "is not a known user",
            "is not a valid mailbox",
            "is not an active address at this host",
            "mailbox does not exist",
            "mailbox invalid",
            "mailbox is inactive",
            "mailbox is unavailable",
            "mailbox not present",
            "mailbox not found",
            "mailbox unavaiable",
            "nessun utente simile in questo indirizzo",
            "no account by that name here",
            "no existe dicha persona",
            "no existe ese usuario ",
            "no mail box available for this user",
            "no mailbox by that name is currently available",
            "no mailbox found",
            "no such address here",
            "no such mailbox",
            "no such person at this address",
            "no such recipient",
            "no such user",
            "no thank you rejected: account unavailable",
            "no valid recipients, bye",
            "not a valid recipient",
            "not a valid user here",
            "not a local address",
            "not email addresses",
            "recipient address rejected. (in reply to rcpt to command)",
            "recipient address rejected: access denied",
            "recipient address rejected: invalid user",
            "recipient address rejected: invalid-recipient",
            "recipient address rejected: unknown user",
            "recipient address rejected: userunknown",
            "recipient does not exist",
            "recipient is not accepted",
            "recipient is not local",
            "recipient not exist",
            "recipient not found",
            "recipient not ok",
            "recipient refuses to accept your mail",
            "recipient unknown",
            "requested action not taken: mailbox unavailable",
            "resolver.adr.recipient notfound",
            "resolver.adr.recipnotfound",
            "sorry, user unknown",
            "sorry, badrcptto",
            "sorry, no mailbox here by that name",
            "sorry, your envelope recipient has been denied",
            "that domain or user isn't in my list of allowed rcpthosts",
            "the email account that you tried to reach does not exist",
            "the following recipients was undeliverable",
            "the user's email name is not found",
            "there is no one at this address",
            "this address no longer accepts mail",
            "this email address is wrong or no longer valid",
            "this recipient is in my badrecipientto list",
            "this recipient is not in my validrcptto list",
            "this spectator does not exist",
            "unknown mailbox",
            "unknown recipient",
            "unknown user",
            "user does not exist",
            "user missing home directory",
            "user not active",
            "user not exist",
            "user not found",
            "user not known",
            "user unknown",
            "utilisateur inconnu !",
            "vdeliver: invalid or unknown virtual user",
            "weil die adresse nicht gefunden wurde oder keine e-mails empfangen kann",
            "your envelope recipient is in my badrcptto list",
            "<…> not found",
            "<…>... blocked by ",
            "account … does not exist at the organization",
            "bad…recipient",
            "mailbox …does not exist",
            "mailbox …unavailable or access denied",
            "no … in name directory",
            "non…existent user",
            "rcpt <… does not exist",
            "rcpt (…t exist ",
            "recipient … was not found in",
            "recipient address rejected: user …  does not exist",
            "recipient address rejected: user unknown in …  table",
            "said: 550…5.1.1 … user unknown ",
            "this user doesn't have a … account",
            "unknown e…mail address",
            "unknown local…part",
            "user … was not found",
            "user … does not exist",
            "user (…) unknown",
            "does not like recipient",
            "no such local user",
            "mailbox unavailable",
            "address rejected: user unknown",
            "unknown address",
            "user doesn't exist",
            "invalid recipient address",
            "recipient rejected",
            "not listed in domino directory",
            "not listed in public name & address book",
            "ディレクトリのリストにありません",
            "invalid final delivery userid",
            "no such user here",
        ],
    ),
    (
        Filtered,
        &[
            "account is protected by",
            "bounced address",
            "has restricted sms e-mail",
            "is not accepting any mail",
            "message filtered",
            "message rejected due to user rules",
            "not found recipient account",
            "recipient id refuse to receive mail",
            "recipient is only accepting mail from specific email addresses",
            "refused due to recipient preferences",
            "user refuses to receive this mail",
            "user reject",
            "you have been blocked by the recipient",
        ],
    ),
    (
        RequirePtr,
        &[
            "access denied. ip name lookup failed",
            "all mail servers must have a ptr record with a valid reverse dns entry",
            "bad dns ptr resource record",
            "cannot find your hostname",
            "cannot resolve your address.",
            "client host rejected: cannot find your hostname",
            "fix reverse dns for ",
            "ips with missing ptr records",
            "no ptr record found.",
            "please get a custom reverse dns name from your isp for your host",
            "ptr record setup",
            "reverse dns failed",
            "reverse dns required",
            "sender ip reverse lookup rejected",
            "the ip address sending this message does not have a ptr record setup",
            "the corresponding forward dns entry does not point to the sending ip",
            "this system will not accept messages from servers/devices with no reverse dns",
            "unresolvable relay host name",
            "we do not accept mail from hosts with dynamic ip or generic dns ptr-records",
            "domain … mismatches client ip",
            "dns lookup failure: … try again later",
            "reverse dns lookup for host … failed permanently",
            "server access … forbidden by invalid rdns record of your mail server",
            "service permits … unverifyable sending ips",
            "no ptr record",
        ],
    ),
    (
        NotCompliantRfc,
        &[
            "messages with multiple addresses in from:",
            "this message is not rfc 5322 compliant",
            "https://support.google.com/mail/?p=rfcmessagenoncompliant",
            " multiple … header",
        ],
    ),
    (
        BadReputation,
        &[
            "a poor email reputation score",
            "has been temporarily rate limited due to ip reputation",
            "ip/domain reputation problems",
            "likely suspicious due to the very low reputation",
            "none/bad reputation",
            "temporarily deferred due to unexpected volume or user complaints",
            "the sending mta's poor reputation",
        ],
    ),
    (
        ContentError,
        &[
            "duplicate header",
            "header size exceeds maximum permitted",
            "improper use of 8-bit data in message header",
            "message header size, or recipient list, exceeds policy limit",
            "message mime complexity exceeds the policy maximum",
            "routing loop detected -- too many received: headers",
            "this message contain invalid mime headers",
            "this message contain improperly-formatted binary content",
            "this message contain text that uses unnecessary base64 encoding",
        ],
    ),
    (
        Rejected,
        &[
            "access denied (in reply to mail from command)",
            "access denied (sender blacklisted)",
            "address rejected",
            "administrative prohibition",
            "batv failed to verify",
            "batv validation failure",
            "backscatter protection detected an invalid or expired email address",
            "because the sender isn't on the recipient's list of senders to accept mail from",
            "bogus mail from",
            "can't determine purported responsible address",
            "connections not accepted from servers without a valid sender domain",
            "denied [bouncedeny]",
            "denied by secumail valid-address-filter",
            "delivery not authorized, message refused",
            "does not exist e2110",
            "domain of sender address ",
            "email address is on senderfilterconfig list",
            "emetteur invalide",
            "empty envelope senders not allowed",
            "envelope blocked - ",
            "error: no third-party dsns",
            "from: domain is invalid. please provide a valid from:",
            "fully qualified email address required",
            "invalid domain, see <url:",
            "invalid sender",
            "is not a registered gateway user",
            "mail from not owned by user",
            "message rejected: email address is not verified",
            "mx records for ",
            "null sender is not allowed",
            "recipient addresses rejected : access denied",
            "recipient not accepted. (batv: no tag",
            "returned mail not accepted here",
            "rfc 1035 violation: recursive cname records for",
            "rule imposed mailbox access for",
            "sending this from a different address or alias using the ",
            "sender address has been blacklisted",
            "sender email address rejected",
            "sender is in my black list",
            "sender is spammer",
            "sender not pre-approved",
            "sender rejected",
            "sender domain is empty",
            "sender verify failed",
            "sender was rejected",
            "spam reporting address",
            "syntax error: empty email address",
            "the message has been rejected by batv defense",
            "this server does not accept mail from",
            "transaction failed unsigned dsn for",
            "unroutable sender address",
            "you are not allowed to post to this mailing list",
            "you are sending to/from an address that has been blacklisted",
            "your access to submit messages to this e-mail system has been rejected",
            "your email address has been blacklisted",
            "sender address rejected",
        ],
    ),
    (
        HostUnknown,
        &[
            "domain does not exist",
            "domain is not reachable",
            "domain must exist",
            "host or domain name not found",
            "host unknown",
            "host unreachable",
            "mail domain mentioned in email address is unknown",
            "name or service not known",
            "no such domain",
            "recipient address rejected: unknown domain name",
            "recipient domain must exist",
            "the account or domain may not exist",
            "unknown host",
            "unroutable address",
            "illegal host/domain name found",
            "unrouteable address",
            "553 … does not exist",
            "domain not found",
            "no mx record",
            "unknown domain",
            "domain name not found",
            "host not found",
            "could not be resolved",
        ],
    ),
    (
        SpamDetected,
        &[
            " - spam",
            "//www.spamhaus.org/help/help_spam_16.htm",
            "//dsbl.org/help/help_spam_16.htm",
            "//mail.163.com/help/help_spam_16.htm",
            "554 5.7.0 reject, id=",
            "appears to be unsolicited",
            "blacklisted url in message",
            "block for spam",
            "blocked by policy: no spam please",
            "blocked by spamassassin",
            "blocked for abuse. see http://att.net/blocks",
            "cannot be forwarded because it was detected as spam",
            "considered unsolicited bulk e-mail (spam) by our mail filters",
            "content filter rejection",
            "cyberoam anti spam engine has identified this email as a bulk email",
            "denied due to spam list",
            "high probability of spam",
            "is classified as spam and is rejected",
            "listed in work.drbl.imedia.ru",
            "the mail server detected your message as spam and has prevented delivery.",
            "mail appears to be unsolicited",
            "mail content denied",
            "may consider spam",
            "message considered as spam or virus",
            "message contains spam or virus",
            "message content rejected",
            "message detected as spam",
            "message filtered",
            "message looks like spam",
            "message is being rejected as it seems to be a spam",
            "message refused by mailmarshal spamprofiler",
            "message refused by trustwave seg spamprofiler",
            "message rejected as spam",
            "message rejected because of unacceptable content",
            "message rejected due to suspected spam content",
            "message rejected for policy reasons",
            "message was rejected for possible spam/virus content",
            "our email server thinks this email is spam",
            "our system has detected that this message is ",
            "probable spam",
            "reject bulk.advertising",
            "rejected: spamassassin score ",
            "rejected - bulk email",
            "rejecting banned content",
            "rejecting mail content",
            "related to content with spam-like characteristics",
            "sender domain listed at ",
            "sending address not accepted due to spam filter",
            "spam blocked",
            "spam check",
            "spam content matched",
            "spam detected",
            "spam email",
            "spam email not accepted",
            "spam message rejected.",
            "spam not accepted",
            "spam refused",
            "spam rejection",
            "spam score ",
            "spambouncer identified spam",
            "spamming not allowed",
            "too many spam complaints",
            "too much spam.",
            "the email message was detected as spam",
            "the message has been rejected by spam filtering engine",
            "the message was rejected due to classification as bulk mail",
            "the content of this message looked like spam",
            "this message appears to be spam",
            "this message has been identified as spam",
            "this message has been scored as spam with a probability",
            "this message was classified as spam",
            "this message was rejected by recurrent pattern detection system",
            "transaction failed spam message not queued",
            "we dont accept spam",
            "your email appears similar to spam we have received before",
            "your email breaches local uribl policy",
            "your email had spam-like ",
            "your email is considered spam",
            "your email is probably spam",
            "your email was detected as spam",
            "your message as spam and has prevented delivery",
            "your message has been temporarily blocked by our filter",
            "your message has been rejected because it appears to be spam",
            "your message has triggered a spam block",
            "your message may contain the spam contents",
            "your message failed several antispam checks",
            "greylisted… please try again in",
            "mail score (… over ",
            "mail rejete. mail rejected. …506",
            "our filters rate at and above … percent probability of being spam",
            "rejected by … (spam)",
            "rejected due to spam …classification",
            "rejected due to spam …content",
            "rule imposed as … is blacklisted on",
            "spam … exceeded",
            "this message scored … spam points",
        ],
    ),
    (
        Speeding,
        &[
            "please try again slower",
            "too many recipients this hour",
            "receiving mail at a rate that prevents additional messages from being delivered",
        ],
    ),
    (
        TooManyConn,
        &[
            "all available ips are at maximum connection limit",
            "connection rate limit exceeded",
            "connection frequency limited",
            "ip frequency limited",
            "exceeds per-domain connection limit for",
            "has exceeded the max emails per hour ",
            "throttling failure: daily message quota exceeded",
            "throttling failure: maximum sending rate exceeded",
            "too many connections",
            "too many connections from your host.",
            "too many concurrent smtp connections",
            "too many errors from your ip",
            "too many recipients",
            "too many smtp sessions for this host",
            "trop de connexions, ",
            "we have already made numerous attempts to deliver this message",
        ],
    ),
    (
        Blocked,
        &[
            " said: 550 blocked",
            "//www.spamcop.net/bl.",
            "bad sender ip address",
            "banned sending ip",
            "blacklisted by",
            "blocked using ",
            "spamhaus.org/query/bl",
            "but my name was rejected",
            "blocked - see http",
            "dnsbl:attrbl",
            "client host rejected: abus detecte gu_eib_02",
            "client host rejected: abus detecte gu_eib_04",
            "client host rejected: may not be mail exchanger",
            "client host rejected: was not authenticated",
            "confirm this mail server",
            "connection dropped",
            "connection refused by",
            "connection reset by peer",
            "connection was dropped by remote host",
            "connections not accepted from ip addresses on spamhaus xbl",
            "currently sending spam see: ",
            "domain does not exist:",
            "dynamic/zombied/spam ips blocked",
            "error: no valid recipients from ",
            "esmtp not accepting connections",
            "extreme bad ip profile",
            "go away",
            "helo command rejected:",
            "hosts with dynamic ip",
            "invalid ip for sending mail of domain",
            "is in a black list",
            "is not allowed to send mail from",
            "mailfrom domain is listed in spamhaus",
            "no access from mail server",
            "no matches to nameserver query",
            "not currently accepting mail from your ip",
            "part of their network is on our block list",
            "please use the smtp server of your isp",
            "refused - see http",
            "rejected - multi-blacklist",
            "rejected because the sending mta or the sender has not passed validation",
            "rejecting open proxy",
            "sender ip address rejected",
            "server access forbidden by your ip ",
            "service not available, closing transmission channel",
            "smtp error from remote mail server after initial connection:",
            "sorry, that domain isn't in my list of allowed rcpthosts",
            "sorry, your remotehost looks suspiciously like spammer",
            "to submit messages to this e-mail system has been rejected",
            "too many spams from your ip",
            "too many unwanted messages have been sent from the following ip address above",
            "was blocked by ",
            "we do not accept mail from dynamic ips",
            "you are not allowed to connect",
            "you are sending spam",
            "your ip address is listed in the rbl",
            "your network is temporary blacklisted",
            "your server requires confirmation",
            "(…@…:blocked)",
            "access from ip address … blocked",
            "client host … blocked using",
            "dnsbl:rbl …>_is_blocked",
            "email blocked by …spamhaus",
            "host … refused to talk to me: … blocked",
            "ip … is blocked by earthlink",
            "is in an …rbl on ",
            "mail server at … is blocked",
            "mail from … refused:",
            "message from … rejected based on blacklist",
            "messages from … temporarily deferred due to user complaints",
            "server ip … listed as abusive",
            "sorry! your ip address… is blocked by rbl",
            "the domain … is blacklisted",
            "the email … is blacklisted",
            "the ip… is blacklisted",
            "your access ip… has been rejected",
            "your sender's ip address is listed at …abuseat.org",
            "client host rejected",
            "blocked by",
            "listed on",
            "blacklisted",
            "client host blocked",
            "ip source bloquee",
        ],
    ),
    (
        VirusDetected,
        &[
            "it has a potentially executable attachment",
            "the message was rejected because it contains prohibited virus or spam content",
            "this form of attachment has been used by recent viruses or other malware",
            "virus detected",
            "mcspamsignature",
            "virus phishing/malicious_url detected",
            "your message was infected with a virus",
        ],
    ),
    (
        PolicyViolation,
        &[
            "an illegal attachment on your message",
            "because the recipient is not accepting mail with ",
            "by non-member to a members-only list",
            "closed mailing list",
            "denied by policy",
            "email not accepted for policy reasons",
            "email rejected due to security policies",
            "host network not allowed",
            "header are not accepted",
            "header error",
            "local policy violation",
            "message bounced due to organizational settings",
            "message given low priority",
            "message not accepted for policy reasons",
            "message rejected due to local policy",
            "rejected for policy reasons",
            "protocol violation",
            "the email address used to send your message is not subscribed to this group",
            "the message was rejected by organization policy",
            "this message was blocked because its content presents a potential",
            "we do not accept messages containing images or other attachments",
            "you're using a mass mailer",
            "you have exceeded the…allowable number of posts without solving a captcha",
        ],
    ),
    (
        SystemError,
        &[
            "aliasing/forwarding loop broken",
            "can't create user output file",
            "could not load drd for domain",
            "internal error reading data",
            "internal server error: operation now in progress",
            "interrupted system call",
            "it encountered an error while being processed",
            "it would create a mail loop",
            "local configuration error",
            "local error in processing",
            "loop was found in the mail exchanger",
            "loops back to myself",
            "mail system configuration error",
            "queue file write error",
            "recipient deferred because there is no mdb",
            "remote server is misconfigured",
            "server configuration error",
            "service currently unavailable",
            "system config error",
            "temporary local problem",
            "timeout waiting for input",
            "transaction failed",
            "unable to connect …daemon",
        ],
    ),
    (
        NetworkError,
        &[
            "could not connect and send the mail to",
            "dns query failed",
            "network error on destination mx",
            "wasn't able to establish an smtp connection",
            "dns records for the destination computer could not be found",
            "hop count exceeded - possible mail loop",
            "host is unreachable",
            "host name lookup failure",
            "host not found, try again",
            "mail forwarding loop for ",
            "malformed name server reply",
            "malformed or unexpected name server reply",
            "maximum forwarding loop count exceeded",
            "message looping",
            "message probably in a routing loop",
            "no route to host",
            "too many hops",
            "unable to resolve route ",
            "unrouteable mail domain",
        ],
    ),
    (
        SystemFull,
        &[
            "mail system full",
            "insufficient disk space",
            "requested mail action aborted: exceeded storage allocation",
        ],
    ),
    (
        NotAccept,
        &[
            "does not accept mail (nullmx)",
            "couldn't find a mail exchanger or ip address",
            "indicated no smtp service",
            "no mx found for domain",
            "host/domain does not accept mail",
            "host does not accept mail",
            "mail receiving disabled",
            "no mx record found for domain=",
            "no route for current request",
            "smtp protocol returned a permanent error",
        ],
    ),
    (
        Expired,
        &[
            "connection timed out",
            "could not find a gateway for",
            "delivery attempts will continue to be",
            "delivery expired",
            "delivery time expired",
            "failed to deliver to domain ",
            "giving up on",
            "have been failing for a long time",
            "has been delayed",
            "it has not been collected after",
            "message expired after sitting in queue for",
            "message expired, cannot connect to remote server",
            "message expired, connection refulsed",
            "message timed out",
            "retry time not reached for any host after a long failure period",
            "server did not respond",
            "this message has been in the queue too long",
            "unable to deliver message after multiple retries",
            "was not reachable within the allowed queue period",
            "your message could not be delivered for more than",
            "could not be delivered for… days",
            "retry timeout exceeded",
            "delivery has been delayed",
            "message has not been delivered",
            "no answer from host",
            "timed out",
            "timeout",
            "message will be retried",
            "did not accept our requests to connect",
            "could not deliver for the last",
            "delivery failed … attempts",
            "unable to deliver this message after",
            "envelope expired",
            "message expired",
            "this is a warning message only",
            "host not reachable",
            "could not send message for past",
            "will be retried",
            "queue too long",
        ],
    ),
    (
        SecurityError,
        &[
            "account not subscribed to ses",
            "authentication credentials invalid",
            "authentication failure",
            "authentication required",
            "authentication turned on in your email client",
            "executable files are not allowed in compressed files",
            "insecure mail relay",
            "recipient address rejected: access denied",
            "sorry, you don't authenticate or the domain isn't in my list of allowed rcpthosts",
            "unauthenticated senders not allowed",
            "verification failure",
            "you are not authorized to send mail, authentication is required",
            "authentication failed; server … said: ",
            "authentification invalide…305",
            "authentification requise…402",
            "domain … is a dead domain",
            "user … is not authorized to perform ses:sendrawemail on resource",
        ],
    ),
    (
        MailerError,
        &[
            " || exit ",
            "procmail: ",
            "bin/procmail",
            "bin/maidrop",
            "command failed: ",
            "command died with status ",
            "command output:",
            "mailer error",
            "pipe to |/",
            "x-unix; ",
        ],
    ),
    (
        Vacation,
        &[
            "i am away on vacation",
            "i am away until",
            "i am out of the office",
            "i will be traveling for work on",
        ],
    ),
];

/// Phrases that look like a recipient problem but are about the sender or the connection:
/// with these, a 5.1.x status is not "user unknown".
const NOT_USER_UNKNOWN: &[BounceReason] = &[
    NoRelaying,
    Blocked,
    MailboxFull,
    HasMoved,
    Rejected,
    NotAccept,
];

pub(crate) fn says(reason: BounceReason, diagnostic: &str) -> bool {
    if diagnostic.is_empty() {
        return false;
    }
    if reason == Rejected
        && [
            "5.1.0 address rejected",
            "recipient address rejected",
            "sender ip address rejected",
        ]
        .iter()
        .any(|p| diagnostic.contains(p))
    {
        return false;
    }
    PHRASES
        .iter()
        .filter(|(r, _)| *r == reason)
        .flat_map(|(_, list)| list.iter())
        .any(|phrase| matches_phrase(diagnostic, phrase))
}

/// Substring match; `…` separates pieces that must appear in this order.
fn matches_phrase(text: &str, phrase: &str) -> bool {
    if !phrase.contains('…') {
        return text.contains(phrase);
    }
    let mut rest = text;
    for piece in phrase.split('…') {
        if piece.is_empty() {
            continue;
        }
        match rest.find(piece) {
            Some(p) => rest = &rest[p + piece.len()..],
            None => return false,
        }
    }
    true
}

/// The reason an enhanced status code names on its own (RFC 3463 and its successors).
pub(crate) fn from_status(status: &str) -> Option<BounceReason> {
    Some(match status {
        "2.1.5" => Delivered,
        "4.1.6" | "5.1.6" | "5.7.17" | "5.7.18" => HasMoved,
        "4.1.7" | "4.1.8" | "5.1.7" | "5.1.8" => Rejected,
        "4.1.9" | "5.1.9" | "4.3.3" | "4.3.5" | "4.4.3" | "4.5.3" | "4.5.5" | "5.3.0" | "5.3.3"
        | "5.3.5" | "5.4.3" | "5.5.4" | "5.5.5" => SystemError,
        "4.2.1" | "4.7.1" | "4.7.2" => Blocked,
        "4.2.2" | "5.2.2" => MailboxFull,
        "4.2.3" | "5.2.3" => ExceedLimit,
        "4.2.4" | "5.1.4" | "5.2.0" | "5.2.1" | "5.2.4" => Filtered,
        "4.3.1" | "4.4.5" | "5.3.1" => SystemFull,
        "4.3.2" | "5.3.2" | "5.7.27" => NotAccept,
        "4.4.1" | "4.4.7" => Expired,
        "4.4.2" | "4.4.4" | "4.4.6" | "4.4.8" | "5.4.0" => NetworkError,
        "4.6.0" | "4.6.2" | "4.6.5" | "5.6.0" | "5.6.1" | "5.6.2" | "5.6.3" | "5.6.5" | "5.6.6"
        | "5.6.7" | "5.6.8" | "5.6.9" => ContentError,
        "4.7.5" | "4.7.6" | "4.7.7" | "4.7.12" | "4.7.15" | "5.7.0" | "5.7.1" | "5.7.2"
        | "5.7.3" | "5.7.4" | "5.7.5" | "5.7.6" | "5.7.7" | "5.7.8" | "5.7.9" | "5.7.10"
        | "5.7.11" | "5.7.14" | "5.7.15" | "5.7.19" => SecurityError,
        "4.7.16" | "5.3.4" | "5.7.16" => MesgTooBig,
        "4.7.24" | "4.7.26" | "5.7.20" | "5.7.21" | "5.7.22" | "5.7.23" | "5.7.24" | "5.7.26"
        | "5.7.29" => AuthFailure,
        "4.7.25" | "5.7.25" => RequirePtr,
        "5.1.0" | "5.1.1" | "5.1.3" => UserUnknown,
        "5.1.2" | "5.4.4" => HostUnknown,
        "5.5.2" | "5.5.6" => SyntaxError,
        "5.5.3" => TooManyConn,
        "5.7.13" => Suspend,
        "5.7.28" => SpamDetected,
        _ => return None,
    })
}

/// Reasons a status code gives only as a first guess: the server's words may say better.
fn tentative(reason: Option<BounceReason>) -> bool {
    matches!(
        reason,
        None | Some(
            Undefined
                | OnHold
                | SystemError
                | SecurityError
                | Expired
                | NetworkError
                | HostUnknown
                | UserUnknown
        )
    )
}

fn before_data(command: Option<Command>) -> bool {
    matches!(
        command,
        Some(Command::Connect | Command::Helo | Command::MailFrom | Command::RcptTo)
    )
}

/// Decides the reason for one recipient.
pub(crate) fn decide(e: &Evidence<'_>) -> BounceReason {
    let d = e.diagnostic;
    let by_status = e.status.and_then(from_status);
    if e.status.is_some_and(|s| s.starts_with("2.")) {
        return Delivered;
    }
    if let Some(r) = provider_code(d) {
        return r;
    }
    if e.program_diagnostic {
        // A local delivery program failed: the mailer's error unless it ran out of quota or
        // the status names the mail system itself.
        if says(MailboxFull, d) {
            return MailboxFull;
        }
        return if by_status == Some(SystemError) {
            SystemError
        } else {
            MailerError
        };
    }
    if let Some(r) = first_specific(e, by_status) {
        return r;
    }
    if tentative(by_status) || e.non_smtp_diagnostic {
        for r in [
            MailboxFull,
            AuthFailure,
            BadReputation,
            Speeding,
            SpamDetected,
            VirusDetected,
            PolicyViolation,
            NoRelaying,
            SystemError,
            NetworkError,
            Suspend,
            ContentError,
            SystemFull,
            NotAccept,
            Expired,
            SecurityError,
            MailerError,
        ] {
            if says(r, d) {
                return r;
            }
        }
    }
    if let Some(r) = by_status {
        return r;
    }
    if let Some(s) = e.status {
        if s.starts_with("5.6") || s.starts_with("4.6") {
            return ContentError;
        }
        if s.starts_with("5.7") || s.starts_with("4.7") {
            return SecurityError;
        }
    }
    if let Some(code) = e.reply_code
        && ((401..408).contains(&code) || (501..508).contains(&code))
    {
        return SyntaxError;
    }
    if matches!(e.action, Some("delayed" | "expired")) {
        return Expired;
    }
    if matches!(e.command, Some(Command::Helo)) {
        return Blocked;
    }
    if says(Vacation, d) {
        return Vacation;
    }
    if !d.is_empty() { OnHold } else { Undefined }
}

/// Reasons providers state as their own documented codes in the reply text.
fn provider_code(d: &str) -> Option<BounceReason> {
    // Orange / La Poste (France): `OFR_416`, `OFR006_102`, `LPN007_426`: the last three
    // digits are the documented error number.
    for (at, _) in d.match_indices("ofr").chain(d.match_indices("lpn")) {
        let token: String = d[at + 3..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '_')
            .collect();
        let Some((_, code)) = token.rsplit_once('_') else {
            continue;
        };
        let reason = match code {
            "102" | "999" => Blocked,
            "107" | "108" => Undefined,
            "416" => UserUnknown,
            "426" => Suspend,
            "505" => SystemError,
            "506" => SpamDetected,
            "630" => PolicyViolation,
            _ => continue,
        };
        return Some(reason);
    }
    // Cox and Spectrum (Charter) acceptable-use codes.
    const AUP: &[(&str, BounceReason)] = &[("aup#cdrbl", Blocked), ("aup#in-1310", TooManyConn)];
    AUP.iter().find(|(p, _)| d.contains(p)).map(|(_, r)| *r)
}

/// The specific reasons, in the order where a more telling one wins over a more general one.
fn first_specific(e: &Evidence<'_>, by_status: Option<BounceReason>) -> Option<BounceReason> {
    let d = e.diagnostic;
    let is = |r: BounceReason| by_status == Some(r);
    // 5.2.3 is the recipient's own size limit; Exchange names its per-recipient limit so.
    let own_limit = is(ExceedLimit) && !d.contains("recipsizelimit");
    let checks: [(BounceReason, bool); 21] = [
        (Speeding, says(Speeding, d)),
        (MailboxFull, is(MailboxFull) || says(MailboxFull, d)),
        (ExceedLimit, own_limit),
        (MesgTooBig, is(MesgTooBig) || says(MesgTooBig, d)),
        (ExceedLimit, is(ExceedLimit) || says(ExceedLimit, d)),
        (Suspend, e.reply_code == Some(525) || says(Suspend, d)),
        (HasMoved, says(HasMoved, d)),
        (
            NoRelaying,
            !matches!(e.command, Some(Command::Connect | Command::Helo)) && says(NoRelaying, d),
        ),
        (AuthFailure, is(AuthFailure) || says(AuthFailure, d)),
        (UserUnknown, user_unknown(e, by_status)),
        (Filtered, filtered(e, by_status)),
        (RequirePtr, is(RequirePtr) || says(RequirePtr, d)),
        (NotCompliantRfc, says(NotCompliantRfc, d)),
        (BadReputation, says(BadReputation, d)),
        (
            ContentError,
            // "Message content rejected" under a 5.6.x status is about the format, under
            // 5.7.x a spam filter's verdict.
            (is(ContentError) && d.contains("message content rejected"))
                || (!spam(e, by_status) && (is(ContentError) || says(ContentError, d))),
        ),
        (Rejected, rejected(e, by_status)),
        // A domain that exists but publishes no mail service is not an unknown host.
        (NotAccept, says(NotAccept, d)),
        (
            HostUnknown,
            (is(HostUnknown) || says(HostUnknown, d)) && !says(NetworkError, d),
        ),
        (SpamDetected, spam(e, by_status)),
        (TooManyConn, is(TooManyConn) || says(TooManyConn, d)),
        (Blocked, is(Blocked) || says(Blocked, d)),
    ];
    checks.into_iter().find(|(_, hit)| *hit).map(|(r, _)| r)
}

/// Words only a mailbox lookup failure produces, whatever the status code or command.
const CERTAINLY_UNKNOWN: &[&str] = &[
    "delivery error: dd this user doesn't have",
    "recipient not found by smtp address lookup",
    "resolver.adr.recipientnotfound",
    "the recipient name is not recognized",
    "not listed in domino directory",
    "not listed in public name & address book",
    "ディレクトリのリストにありません",
    "invalid final delivery userid",
    "adresse destinataire invalide",
    "the email address wasn’t found at the destination domain",
    "the email address wasn't found at the destination domain",
];

fn user_unknown(e: &Evidence<'_>, by_status: Option<BounceReason>) -> bool {
    let d = e.diagnostic;
    if CERTAINLY_UNKNOWN.iter().any(|p| d.contains(p)) {
        return true;
    }
    if by_status == Some(UserUnknown) {
        return !NOT_USER_UNKNOWN.iter().any(|&r| says(r, d));
    }
    if !says(UserUnknown, d) || NOT_USER_UNKNOWN.iter().any(|&r| says(r, d)) {
        return false;
    }
    // An addressing status (5.1.x, including vendor extensions like 5.1.351), a rejection of
    // RCPT TO itself, or a report with no status at all that says so in words. A generic
    // status after DATA with the same words is a content filter's answer.
    let addressing = e
        .status
        .is_some_and(|s| s.starts_with("5.1.") || s.starts_with("4.1."));
    addressing || e.command == Some(Command::RcptTo)
}

fn filtered(e: &Evidence<'_>, by_status: Option<BounceReason>) -> bool {
    let d = e.diagnostic;
    if by_status == Some(Filtered) {
        return says(UserUnknown, d) || says(Filtered, d);
    }
    if before_data(e.command) {
        return false;
    }
    says(Filtered, d) || says(UserUnknown, d)
}

fn spam(e: &Evidence<'_>, by_status: Option<BounceReason>) -> bool {
    if by_status == Some(SpamDetected) {
        return true;
    }
    if before_data(e.command) && e.command != Some(Command::RcptTo) {
        return false;
    }
    says(SpamDetected, e.diagnostic)
}

fn rejected(e: &Evidence<'_>, by_status: Option<BounceReason>) -> bool {
    if by_status == Some(Rejected) {
        return true;
    }
    let d = e.diagnostic;
    match e.command {
        // "Access denied" in answer to MAIL FROM refuses the sender, whatever 5.7.x says.
        Some(Command::MailFrom) => says(Rejected, d) || d.contains("access denied"),
        Some(Command::Data) if by_status != Some(UserUnknown) => says(Rejected, d),
        _ if tentative(by_status) && by_status != Some(UserUnknown) => says(Rejected, d),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(diagnostic: &str, status: Option<&str>) -> BounceReason {
        decide(&Evidence {
            diagnostic,
            status,
            ..Evidence::default()
        })
    }

    #[test]
    fn common_rejections() {
        assert_eq!(
            reason(
                "550 5.1.1 <a@x>: recipient address rejected: user unknown in local recipient table",
                Some("5.1.1")
            ),
            UserUnknown
        );
        assert_eq!(reason("552 5.2.2 mailbox full", Some("5.2.2")), MailboxFull);
        assert_eq!(
            reason(
                "554 5.7.1 service unavailable; client host [192.0.2.1] blocked using zen.spamhaus.org",
                Some("5.7.1")
            ),
            Blocked
        );
        assert_eq!(
            reason(
                "550 5.7.26 unauthenticated email from example.jp is not accepted due to domain's dmarc policy",
                Some("5.7.26")
            ),
            AuthFailure
        );
        assert_eq!(reason("", Some("4.4.7")), Expired);
        assert_eq!(reason("", Some("5.1.2")), HostUnknown);
        assert_eq!(reason("", Some("2.1.5")), Delivered);
        assert_eq!(reason("something odd", None), OnHold);
        assert_eq!(reason("", None), Undefined);
    }

    #[test]
    fn hard_bounces() {
        assert!(
            UserUnknown.is_hard()
                && HostUnknown.is_hard()
                && HasMoved.is_hard()
                && NotAccept.is_hard()
        );
        assert!(!MailboxFull.is_hard() && !Blocked.is_hard() && !Expired.is_hard());
    }

    #[test]
    fn ordered_pieces() {
        assert!(matches_phrase(
            "mailbox of kijitora is full now",
            "mailbox…full"
        ));
        assert!(!matches_phrase("full mailbox", "mailbox…full"));
    }
}
