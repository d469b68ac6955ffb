#include <rapport/demo/content.hpp>

#include <rapport/demo/calendar.hpp>

namespace rapport::demo {

namespace {

// ---- people ----------------------------------------------------------------------------------

constexpr const char* k_lisbon_first[] = {
    "Ana",      "João",   "Inês",   "Miguel", "Beatriz",  "Tiago",   "Sofia",   "Rui",
    "Carolina", "Pedro",  "Marta",  "Diogo",  "Catarina", "Nuno",    "Mariana", "Bruno",
    "Rita",     "Hugo",   "Joana",  "André",  "Filipa",   "Ricardo", "Leonor",  "Gonçalo",
    "Teresa",   "Duarte", "Helena", "Vasco",  "Clara",    "Tomás",   "Daniela", "Afonso",
    "Lucía",    "Pablo",  "Chloé",  "Lukas",  "Giulia",   "Mateus",  "Yara",    "Kofi"};
constexpr const char* k_lisbon_last[] = {
    "Silva",   "Santos",    "Ferreira",  "Pereira",  "Oliveira", "Costa",   "Rodrigues", "Martins",
    "Sousa",   "Fernandes", "Gonçalves", "Gomes",    "Lopes",    "Marques", "Alves",     "Almeida",
    "Ribeiro", "Pinto",     "Carvalho",  "Teixeira", "Moreira",  "Correia", "Mendes",    "Nunes",
    "Soares",  "Vieira",    "Monteiro",  "Cardoso",  "Rocha",    "Neves",   "Bauer",     "Moreau",
    "Rossi",   "Mensah",    "Da Costa",  "Baptista"};
constexpr const char* k_austin_first[] = {
    "Emily",   "Jacob",   "Madison",  "Ethan",  "Olivia",  "Noah",   "Ava",     "Liam",
    "Sophia",  "Mason",   "Isabella", "Lucas",  "Mia",     "Logan",  "Harper",  "Daniel",
    "Chloe",   "Carlos",  "Valeria",  "Diego",  "Jasmine", "Marcus", "Priya",   "Kevin",
    "Aaliyah", "Tyler",   "Grace",    "Andre",  "Lauren",  "Mateo",  "Brandon", "Kayla",
    "Jordan",  "Destiny", "Hannah",   "Austin", "Brianna", "Luis",   "Tiana",   "Wei"};
constexpr const char* k_austin_last[] = {
    "Johnson", "Williams", "Brown",    "Garcia", "Martinez", "Davis",    "Rodriguez", "Hernandez",
    "Lopez",   "Wilson",   "Anderson", "Thomas", "Taylor",   "Moore",    "Jackson",   "Lee",
    "Nguyen",  "Patel",    "Walker",   "Hall",   "Young",    "King",     "Wright",    "Scott",
    "Green",   "Baker",    "Adams",    "Nelson", "Ramirez",  "Campbell", "Okafor",    "Chen",
    "Flores",  "Brooks",   "Sullivan", "Reed"};
constexpr const char* k_manila_first[] = {
    "Maria",    "Jose",    "Angelica", "Mark",      "Kristine", "John Paul", "Rowena",  "Jerome",
    "Princess", "Carlo",   "Mae",      "Rafael",    "Joy",      "Paolo",     "Camille", "Bryan",
    "Jasmine",  "Miguel",  "Aira",     "Christian", "Bea",      "Joshua",    "Kaye",    "Renz",
    "Trisha",   "Jericho", "Nicole",   "Vincent",   "Lyka",     "Angelo",    "Ronaldo", "Grace",
    "Jhun",     "Marites", "Elmer",    "Rhea"};
constexpr const char* k_manila_last[] = {
    "Santos",  "Reyes",   "Cruz",     "Bautista", "Ocampo",     "Garcia",   "Mendoza", "Torres",
    "Tomas",   "Andrada", "Castillo", "Flores",   "Villanueva", "Ramos",    "Castro",  "Rivera",
    "Aquino",  "Navarro", "Salazar",  "Mercado",  "Dela Cruz",  "Gonzales", "Lim",     "Tan",
    "Domingo", "Soriano", "Manalo",   "Pascual",  "Aguilar",    "Fernandez"};

constexpr int k_lisbon_shifts[] = {8 * 60, 9 * 60, 9 * 60, 10 * 60, 13 * 60};
constexpr int k_austin_shifts[] = {7 * 60, 8 * 60, 8 * 60, 9 * 60, 11 * 60, 14 * 60};
constexpr int k_manila_shifts[] = {6 * 60, 14 * 60, 22 * 60};

const SiteInfo k_sites[k_site_count] = {
    {"Lisbon", "in_house", nullptr, "Europe/Lisbon", 0, "en-GB", k_lisbon_first, k_lisbon_last,
     k_lisbon_shifts, false},
    {"Austin", "in_house", nullptr, "America/Chicago", -360, "en-US", k_austin_first, k_austin_last,
     k_austin_shifts, false},
    {"Manila — Meridian BPO", "vendor", "Meridian BPO", "Asia/Manila", 480, "en-PH", k_manila_first,
     k_manila_last, k_manila_shifts, true},
};

const TeamInfo k_teams[k_team_count] = {
    {"Billing",
     "Payments, refunds, invoices and membership charges.",
     0,
     16,
     false,
     "billing",
     {k_onboarding, -1, -1}},
    {"Technical Support",
     "The website and apps: sign-in problems, bugs, how-to questions.",
     1,
     20,
     false,
     "troubleshooting",
     {k_tier2, k_enterprise, -1}},
    {"Account Security",
     "Locked accounts, fraud and account takeovers. Sensitive: in-house staff only.",
     1,
     10,
     true,
     "security",
     {-1, -1, -1}},
    {"Orders & Shipping",
     "Where is my order, delivery problems, address changes.",
     2,
     22,
     false,
     "shipping",
     {k_returns, k_billing, -1}},
    {"Onboarding",
     "New members and business accounts getting set up.",
     0,
     10,
     false,
     "onboarding",
     {k_billing, k_technical, -1}},
    {"Enterprise",
     "Business customers with an account manager.",
     1,
     10,
     false,
     "enterprise",
     {k_billing, -1, -1}},
    {"Returns",
     "Returns, exchanges and damaged items.",
     2,
     16,
     false,
     "returns",
     {k_orders, k_technical, -1}},
    {"Tier 2 Escalations",
     "Problems the first line could not solve; works with engineering.",
     0,
     10,
     false,
     "engineering",
     {k_technical, -1, -1}},
};

// ---- contact reasons -------------------------------------------------------------------------
//
// Each reason has a few scenarios: one problem told start to finish (what the customer writes,
// what the agent asks, the answer, and how it ends), so a conversation stays on one subject.

#define TEXTS(name, ...) constexpr const char* name[] = {__VA_ARGS__}
#define SCENARIOS(name, ...) constexpr Scenario name[] = {__VA_ARGS__}

// billing_refund
TEXTS(k_refund_subjects, "Refund request for order {order}", "Please refund my last payment",
      "Refund?", "Billing problem");
SCENARIOS(
    k_refund,
    {"Charged twice for my {plan} membership",
     "I was charged {amount} twice on {date} for my {plan} membership. My card ending in {last4} "
     "shows both "
     "charges. Could you refund the duplicate, please?",
     "Hi, I got charged twice for my membership, can you refund one?",
     "I'm sorry about the double charge. I can see one payment of {amount} on your account, so to "
     "find the second "
     "one could you send the date and amount exactly as they appear on your statement? A "
     "screenshot with everything "
     "but the last four digits covered is perfect.",
     "Sure, both are {amount} on {date}, both from Larkspur. Card ending {last4}. Screenshot "
     "attached.",
     "Thanks, that made it easy to find: our payment provider captured the payment twice. The "
     "duplicate {amount} "
     "has been reversed and should show within 3-5 business days.",
     "You're right, our payment provider captured that payment twice. I've refunded the duplicate "
     "{amount} to your "
     "card ending in {last4}; it takes 3-5 business days to appear."},
    {"Refund not received for returned {product}",
     "I returned the {product} from order {order} two weeks ago and the tracking shows it arrived "
     "at your "
     "warehouse, but I still haven't received my {amount} refund. How long does this usually take?",
     "Where is my refund for order {order}? I sent the item back weeks ago.",
     "I've checked with our warehouse and the return for order {order} hasn't been scanned in yet. "
     "Could you send "
     "me the tracking number you used to send it back, so I can chase it for you?",
     "The return tracking number is {tracking}. It says delivered on {date}.",
     "Found it: the parcel reached us on {date} but was filed under the wrong order. I've pushed "
     "the refund "
     "through manually, {amount} back to your card.",
     "The warehouse received your {product} on {date} and the refund of {amount} went out today. "
     "You'll get a "
     "confirmation email shortly, and the money should be on your statement within a week."},
    {"Billed after cancelling my trial",
     "I cancelled my {plan} trial before it ended but was still billed {amount} on {date}. I'd "
     "like that refunded, "
     "I never meant to continue.",
     "I cancelled my trial but got billed {amount}. Refund please.",
     "Sorry about that. I can see the cancellation on your account. Would you like the refund to "
     "your card ending "
     "in {last4}, or as store credit (store credit arrives instantly)?",
     "Back to the card please, I don't need store credit.",
     "Done: {amount} is on its way back to your card ending in {last4}, and the trial is fully "
     "closed so it can't "
     "bill you again.",
     "Your cancellation went in a few minutes after the renewal ran, which is why it still charged "
     "you. I've "
     "refunded the {amount} in full; it takes 3-5 business days to appear."},
    {"Price dropped after I bought the {product}",
     "The {product} I bought (order {order}) dropped in price two days later. Your site says you "
     "match prices "
     "within 14 days, so I'd like the difference back.",
     "The {product} is cheaper now than when I bought it. Price match?",
     "Happy to look at that. Could you tell me where you saw the lower price? If it was on another "
     "shop's site, a "
     "link is all I need.",
     "It was on your own website, on the sale page, yesterday.",
     "Thanks, I found the sale price. The difference of {amount} is refunded to your original "
     "payment method.",
     "I've checked the sale price and processed the price match: {amount} is on its way back to "
     "your original "
     "payment method. Thanks for shopping with us!"});
TEXTS(k_refund_notes, "Duplicate capture confirmed in the payment processor; refunding one.",
      "Refund over $150, asked the team lead for approval as per policy.",
      "Approved. Go ahead with the full refund.",
      "Customer has had two refunds this quarter, both for damaged items. Nothing suspicious.");

// invoice_copy
TEXTS(k_invoice_subjects, "Invoice request", "Can you resend my invoice?", "Invoices");
SCENARIOS(
    k_invoice,
    {"Invoice for order {order}",
     "Could you send me an invoice for order {order}? I need one with our company name ({company}) "
     "on it for "
     "expenses.",
     "Can you email me the invoice for order {order}?",
     "Happy to help. Which name and address should appear on the invoice, and do you need a VAT "
     "number on it?",
     "It should say {company}, {city}. No VAT number needed.",
     "Thanks! The invoice for order {order} is attached, made out to {company}.",
     "I've attached the invoice for order {order}. You can also download any invoice from Account "
     "> Orders > "
     "Invoice; they're all there as PDFs."},
    {"Copy of invoice {invoice} with my new address",
     "The invoice {invoice} I received has my old address on it. Can you reissue it with the new "
     "one?",
     "My invoice {invoice} has the wrong address.",
     "I can reissue that. Could you confirm the billing address you'd like on invoice {invoice}?",
     "The new address is the one in my profile now, in {city}.",
     "All set: a corrected copy of invoice {invoice} is attached, with your address in {city}.",
     "Done: a corrected copy of invoice {invoice} is attached, using the address from your "
     "profile."},
    {"Invoices for our accounting team",
     "Our accountant needs copies of all invoices from the last quarter. Is there a way to "
     "download them in one "
     "go, or can you email them?",
     "Where do I download all my invoices at once?",
     "I can send those. Should they go to you, or straight to your accountant's email address?",
     "Please send them to me, I'll forward them.",
     "Here they are: last quarter's invoices as one PDF. For next time, Account > Billing has an "
     "'Export all' "
     "button that does the same.",
     "I've emailed the last quarter's invoices as one PDF. For the future, Account > Billing has "
     "an 'Export all' "
     "button that does the same."});
TEXTS(k_invoice_notes, "Invoice regenerated from the billing console; old copy voided.",
      "Customer asks for invoices often; pointed them to the export button.");

// cancel_subscription
TEXTS(k_cancel_subjects, "Cancel my membership", "Please cancel my subscription",
      "Cancellation request");
SCENARIOS(
    k_cancel,
    {"How do I cancel {plan}?",
     "I'd like to cancel my {plan} membership. I can't find the option in the app, only 'pause'.",
     "I want to cancel my membership.",
     "I'm sorry to see you go. You have {days} days left on this billing period and an unused "
     "member credit. "
     "Would you like me to cancel now with a partial refund, or at the end of the period?",
     "End of the period is fine.",
     "Thanks for confirming. Your membership is cancelled at the end of the period and you keep "
     "the benefits until "
     "then. You'll get a confirmation email shortly.",
     "Your {plan} membership is cancelled and won't renew. You keep the member benefits until the "
     "end of the "
     "period. If you change your mind, you can rejoin any time from your account page."},
    {"Stop the automatic renewal",
     "Please cancel my subscription before the next renewal on {date}. I'm not using the free "
     "shipping enough to "
     "make it worth it.",
     "How do I stop the renewal?",
     "I can take care of that. To confirm it's you, could you tell me the last four digits of the "
     "card on file?",
     "Card ends in {last4}.",
     "Thanks, that matches. The renewal is switched off and you won't be charged again.",
     "Done: the renewal is switched off and I've refunded the unused part of this month. You'll "
     "get a "
     "confirmation email in a few minutes."},
    {"Cancellation page shows an error",
     "I tried to cancel online but the page just reloads with {error}. Can you cancel it for me "
     "and confirm by "
     "email?",
     "The cancel page gives me {error}, can you cancel for me?",
     "Sorry about that page; we're fixing it. Before I cancel for you: would you like it to end "
     "now with a partial "
     "refund, or at the end of the billing period?",
     "Cancel now please, and yes I'd like the partial refund.",
     "All done: the membership is cancelled as of today and the partial refund is on its way.",
     "I've cancelled it for you and you'll get the confirmation by email. Sorry about the error on "
     "the page; our "
     "web team is on it."});
TEXTS(k_cancel_notes, "Offered the retention discount; customer declined.",
      "Cancellation page bug again ({error}). Logged it with the web team.");

// payment_failed
TEXTS(k_payfail_subjects, "Payment problem", "Can't pay for my order", "Problem at checkout");
SCENARIOS(k_payfail,
          {"Card keeps getting declined",
           "I'm trying to check out and my card keeps getting declined with {error}. The bank says "
           "there's no problem on "
           "their side.",
           "My card is declined at checkout.",
           "Sorry about that. I can see three attempts on your account today. Could you tell me "
           "which browser or app "
           "you're using, and whether the card is a debit or credit card?",
           "It's a Visa debit card, and I'm on {device}.",
           "Thanks, that helped: our fraud filter had flagged the card because the billing "
           "postcode differs from the "
           "one on the card. I've cleared it; please try again and it will go through.",
           "Our fraud filter had flagged the card because of a billing-address mismatch. I've "
           "cleared it; please try "
           "again and it should go through."},
          {"Payment failed but money was taken",
           "My order failed at payment but I can see a pending charge of {amount} on my card. Did "
           "the order go through "
           "or not?",
           "Payment failed but I was charged {amount}?",
           "The charge you see is probably a pre-authorisation, which drops off by itself. Could "
           "you confirm the exact "
           "amount and date so I can check it against our records?",
           "The pending amount is {amount} from {date}.",
           "That confirms it's a temporary hold, not a payment; it will disappear within 3-5 days. "
           "I've placed order "
           "{order} for you with the card on file, so you won't be charged twice.",
           "The pending charge is an authorisation hold, not a payment; it will disappear within "
           "3-5 days. I've placed "
           "order {order} for you manually, so you won't be charged twice."},
          {"Renewal payment failed",
           "I got an email saying my {plan} renewal failed. I've updated my card but it still says "
           "the payment is "
           "overdue.",
           "My renewal failed even though I updated my card.",
           "Thanks for updating it. The new card isn't set as the default yet. Would you like me "
           "to make it the default "
           "and retry the payment now?",
           "Yes please, go ahead.",
           "Done: the new card is now the default and the retry went through. Your membership is "
           "active again.",
           "Your new card is now the default and I've retried the renewal: it went through. Your "
           "membership is active "
           "again."});
TEXTS(k_payfail_notes,
      "Payment processor logs show AVS mismatch; billing postcode differs from the card's.",
      "Third report today about card payments on Safari. Sent to Tier 2.");

// password_reset
TEXTS(k_password_subjects, "Can't log in", "Forgot password", "Password reset");
SCENARIOS(
    k_password,
    {"Password reset email never arrives",
     "I've requested a password reset three times but the email never arrives. I've checked spam. "
     "My account email "
     "is this one.",
     "I can't log in and the reset email doesn't come.",
     "Sorry you're stuck. I can see reset emails were sent to this address. Do you use any email "
     "forwarding, and "
     "does your mail provider have an 'Other' or 'Promotions' folder?",
     "No forwarding. Nothing in the other folders either.",
     "Got it: your provider was rejecting our emails. I've had our address allowed and resent the "
     "link; it should "
     "arrive within a minute.",
     "Your provider was bouncing our emails. I've had our address allowed and sent a fresh reset "
     "link; it should "
     "arrive within a minute."},
    {"Reset link expired",
     "The reset link says it has expired every time I click it, even straight away.",
     "Reset link is expired straight away.",
     "Could you tell me which device and mail app you're using when you open the link? Some mail "
     "apps open links in "
     "a preview that uses up the token.",
     "I'm using {device}, with the built-in mail app.",
     "Thanks, that's the mail preview using up the link. I've sent a new one: long-press it and "
     "choose 'Open in "
     "browser', and it'll work.",
     "I've sent a fresh reset link that's valid for 24 hours. If your mail app opens links in a "
     "preview, long-press "
     "and choose 'Open in browser'."},
    {"App won't let me in after resetting my password",
     "After resetting my password the app on {device} still won't let me in, it says {error}.",
     "I reset my password but the app still says {error}.",
     "Sorry about that. Could you sign out of the app completely, then sign back in with the new "
     "password, and let "
     "me know if the error is still there?",
     "Tried again and got the same error.",
     "Thanks for trying. There was a stuck session on our side; I've cleared it, so signing in "
     "should work now.",
     "I've cleared the stuck session on our side. Sign out of the app on {device}, sign back in "
     "with the new "
     "password and you're in."});
TEXTS(k_password_notes, "Mail logs: bounced with 550 from the customer's provider.",
      "Account email had a typo; corrected after verifying order history.");

// account_locked
TEXTS(k_locked_subjects, "Account locked", "Can't access my account", "Locked out");
SCENARIOS(k_locked,
          {"My account has been locked for security reasons",
           "I got an email saying my account was locked after suspicious activity. I haven't done "
           "anything unusual. Please "
           "unlock it.",
           "My account is locked, please help.",
           "Thanks for reaching out. To verify it's you before unlocking, please reply with the "
           "postcode of your delivery "
           "address and the last four digits of the card on your most recent order.",
           "Postcode is the one on file, and the card ends in {last4}.",
           "Thanks, that matches. I've unlocked your account and signed out every other session. "
           "Please set a new "
           "password and turn on two-step verification under Account > Security.",
           "Thanks for verifying. I've unlocked your account and signed out every other session. "
           "Please set a new "
           "password and turn on two-step verification under Account > Security."},
          {"Too many login attempts that weren't me",
           "My account is locked after too many sign-in attempts, but they weren't me. Should I be "
           "worried?",
           "Locked out after login attempts that weren't me.",
           "We locked the account after several sign-ins from a new location. To unlock it safely "
           "I need to verify you: "
           "could you confirm the last order you placed?",
           "My last order was {order}, the {product}.",
           "Verified, thank you. The attempts came from a list of leaked passwords, so please "
           "change your password here "
           "and anywhere else you used the same one. The account is unlocked.",
           "Your account is unlocked. The attempts came from a known list of leaked passwords, so "
           "it's worth changing "
           "your password anywhere else you used the same one."},
          {"Locked out with an order arriving",
           "I can't sign in: it says the account is locked and to contact support. I have an order "
           "({order}) arriving this "
           "week and need to change the delivery.",
           "Account locked and I need to change a delivery!",
           "I'll get you back in. To verify it's you, could you confirm the last four digits of "
           "the card used for order "
           "{order}?",
           "Card ends {last4}.",
           "Thanks, verified. The account is unlocked and I've added a note so the delivery change "
           "for order {order} can "
           "go ahead.",
           "All sorted: the account is unlocked and I've added a note so the delivery change for "
           "order {order} can go "
           "ahead."});
TEXTS(k_locked_notes,
      "Sign-in attempts from 14 IPs in 10 minutes: credential stuffing. Customer verified.",
      "Identity verified with order history and card digits.");

// fraud_report
TEXTS(k_fraud_subjects, "Fraud", "Unauthorised activity on my account", "Urgent: account security");
SCENARIOS(k_fraud,
          {"Order I didn't place",
           "There's an order on my account ({order}, {amount}) that I didn't place, shipping to an "
           "address in {city} I "
           "don't recognise. Please cancel it now.",
           "Someone placed an order on my account!",
           "Thank you for telling us straight away. I've put a hold on order {order} so it won't "
           "ship. To secure the "
           "account, could you confirm when you last signed in yourself and from which device?",
           "I last signed in on {date} from {device}.",
           "Thanks. That confirms it wasn't you. Order {order} is cancelled and the {amount} "
           "refunded; I've reset your "
           "password, ended every session and removed the address that was added.",
           "Order {order} is cancelled and the {amount} has been refunded. I've reset your "
           "password, ended every session "
           "and removed the address that was added. Please set up two-step verification when you "
           "sign in."},
          {"Fraudulent charge on my card",
           "My bank flagged a charge of {amount} from Larkspur that I didn't make. I haven't "
           "logged in for weeks.",
           "There's a charge I didn't make.",
           "I'm sorry this happened. I've locked the account to stop any further changes. Please "
           "reply with the last four "
           "digits of your card so I can match the charge.",
           "Card ends in {last4}.",
           "Confirmed and cleaned up: the charge of {amount} is refunded, a new password is "
           "required and all other "
           "sessions are ended.",
           "The charge of {amount} is refunded, and I've locked out the device that made it. "
           "You'll get a link to set a "
           "new password."},
          {"Suspicious email pretending to be you",
           "I got an email that looks like it's from you asking me to confirm my card details. Is "
           "this real?",
           "Is this email from you real?",
           "Good instinct to check. Could you forward the email to us as an attachment, so we can "
           "see where it really came "
           "from?",
           "I've forwarded you the email.",
           "Thanks. It's phishing, not from us. We've reported the sender, and your account shows "
           "no unusual activity.",
           "That email is not from us, it's phishing. Please don't click anything in it. I've "
           "reported the sender; your "
           "account shows no unusual activity."});
TEXTS(k_fraud_notes, "Address added from a new device 2 hours before the order. Classic takeover.",
      "Reported to payments risk; card fingerprint blocked.",
      "Phishing domain reported to the security team.");

// order_status
TEXTS(k_status_subjects, "Where is my order?", "Order {order} status", "Has my order shipped?");
SCENARIOS(
    k_status,
    {"No shipping confirmation for order {order}",
     "I ordered the {product} on {date} (order {order}) and still haven't had a shipping email. "
     "Can you tell me when "
     "it will ship?",
     "Has my {product} shipped yet?",
     "Let me look into it. I see two orders on your account this month; is it order {order} with "
     "the {product}?",
     "Yes, that's the one, the {product}.",
     "Thanks for confirming. It was waiting on stock but it's now packed and leaves our warehouse "
     "today; tracking "
     "{tracking}.",
     "Order {order} shipped this morning with {carrier}, tracking number {tracking}. It should "
     "arrive within 2 "
     "business days."},
    {"Tracking not updating",
     "The tracking for order {order} hasn't moved in {days} days. It's stuck at 'label created'.",
     "Tracking {tracking} hasn't updated for days.",
     "Thanks for your patience. I've asked {carrier} for an update on {tracking}. In the meantime, "
     "could you "
     "confirm the delivery address is still correct?",
     "The address is right, same as always.",
     "{carrier} says the label was printed twice and the second one was never scanned. They've "
     "found the parcel "
     "and it's out for delivery tomorrow.",
     "{carrier} confirms the parcel was handed over late; it's at your local depot and out for "
     "delivery "
     "tomorrow."},
    {"When will order {order} arrive?",
     "Can you confirm that order {order} will arrive before the weekend? It's a gift.",
     "Will order {order} arrive before the weekend?",
     "I'd like to make sure it does. Is the delivery address on the order the one where you'll be "
     "this week?",
     "Yes, I'm home all week.",
     "Great. I've upgraded it to express at no cost, so it will be there by Friday; tracking "
     "{tracking}.",
     "Yes: order {order} is with {carrier} and due on Thursday. You'll get a text on the morning "
     "of delivery."});
TEXTS(k_status_notes, "Warehouse shows the order picked but not packed; pinged the shift lead.",
      "{carrier} trace opened, reference {tracking}.");

// shipping_delay
TEXTS(k_delay_subjects, "Package delayed", "Delivery is late", "Order {order} still not delivered");
SCENARIOS(k_delay,
          {"Delivery is {days} days late",
           "My order {order} was due on {date} and it's now {days} days late. I paid for faster "
           "delivery. What's going on?",
           "My order is late, where is it?",
           "I'm really sorry it's late. Is the delivery address on the order still the best place "
           "to deliver, or would "
           "you like to pick it up from a locker?",
           "A locker is fine, the one near the station.",
           "Done: I've redirected it to the locker near the station and refunded the express "
           "charge. You'll get a "
           "code by text.",
           "I've refunded the express shipping on order {order} since it didn't arrive on time, "
           "and {carrier} has it on "
           "a van for tomorrow."},
          {"Tracking says delivered but nothing here",
           "The tracking says delivered but there's nothing here, not with neighbours either.",
           "Tracking says delivered but I have nothing.",
           "I'm sorry. I've opened a trace with {carrier}. Could you check with your building's "
           "reception or neighbours "
           "once more? Sometimes parcels get signed for by someone else.",
           "Nobody has it, I asked around.",
           "Thanks for checking. Since nobody has it, I've shipped a replacement by express; "
           "tracking {tracking}.",
           "I've sent a replacement by express at no cost. It should arrive in 1-2 business days, "
           "tracking {tracking}. If "
           "the original turns up, just keep it or refuse it."},
          {"{carrier} couldn't deliver",
           "The delivery driver left a note saying they couldn't access the building, but I was "
           "home all day.",
           "{carrier} says they couldn't deliver but I was home.",
           "Sorry about that. Is there a door code or anything the driver should know? I'll add it "
           "to the delivery notes.",
           "The code is on my profile, and the buzzer is number 4.",
           "Thanks, I've added the code and buzzer to the delivery notes and rebooked delivery for "
           "tomorrow.",
           "I've rebooked the delivery for tomorrow and added a note for the driver. Apologies for "
           "the wasted day."});
TEXTS(k_delay_notes,
      "Carrier delays in the region this week; approved free replacement per the delay policy.",
      "Second delivery failure at this address; added access notes to the profile.");

// address_change
TEXTS(k_address_subjects, "Change delivery address", "Update shipping address", "Wrong address");
SCENARIOS(
    k_address,
    {"Order {order} is going to my old address",
     "I just noticed order {order} is going to my old address. Can you change it to my new one "
     "before it ships?",
     "Can I change the address on order {order}?",
     "I can do that if it hasn't shipped yet. What's the full new address, including postcode?",
     "The new address is in {city}; I've also saved it in my profile.",
     "Thanks! The address on order {order} is updated and the label reprinted.",
     "I've updated the address on order {order} to the one in your profile. It ships today."},
    {"Typo in my address", "I made a typo in the street name on my last order. Can you fix it?",
     "Wrong address, please fix!",
     "Happy to help. Could you send the corrected address exactly as it should appear on the "
     "label?",
     "It's the same street, number 14 not 41. Postcode unchanged.",
     "Done: the order will go to number 14.",
     "The order had already left, so I've asked {carrier} to redirect it. You'll get an updated "
     "delivery date by "
     "email."},
    {"Redirect my order to my office",
     "Can you redirect the {product} to my office instead? I won't be home next week.",
     "Redirect my order to my office?",
     "Sure. What's the office address, and who should the driver ask for at reception?",
     "Our office is in {city}; ask for me at reception.",
     "All set: order {order} now goes to your office, and the driver will ask for you at "
     "reception.",
     "I've changed the delivery on order {order} to your office address from your profile."});
TEXTS(k_address_notes, "Caught before dispatch; warehouse reprinted the label.",
      "Already shipped, requested carrier intercept (fee waived).");

// return_request
TEXTS(k_return_subjects, "Return request", "Want to send this back", "Returns");
SCENARIOS(
    k_return,
    {"How do I return the {product}?",
     "I'd like to return the {product} from order {order}. It works fine, it just isn't what I "
     "expected. How do I get "
     "a return label?",
     "How do I return my {product}?",
     "Of course. Is the {product} unused and in its original packaging? That decides whether it's "
     "a standard or an "
     "open-box return.",
     "Yes, unused, still in the box.",
     "Perfect, that's a standard return. A prepaid {carrier} label is in your inbox; the refund "
     "goes out within 5 "
     "days of drop-off.",
     "I've emailed you a prepaid {carrier} return label for order {order}. Once it's scanned at "
     "drop-off, the "
     "refund goes out within 5 days."},
    {"Return label not working",
     "The return label you emailed says invalid when the {carrier} drop-off scans it.",
     "Return label doesn't scan.",
     "Sorry about that. Would you prefer a new label for drop-off, or shall I book a pickup from "
     "your address?",
     "A pickup would be easier, thanks.",
     "I've booked a pickup for tomorrow between 9 and 1; the driver brings the label.",
     "The label was made out for the wrong country. A new one is attached; I tested it and it "
     "scans."},
    {"Exchange for a different colour",
     "Can I exchange the {product} for a different colour instead of returning it?",
     "Can I exchange this?",
     "Yes, you can. Which colour would you like, and shall I send the new one straight away?",
     "Exchange for the black one if you have it.",
     "Done: a black {product} ships today, and the return label for the old one is in your inbox.",
     "The exchange is set up: your new {product} ships as soon as the old one is scanned by "
     "{carrier}."});
TEXTS(k_return_notes,
      "Label service generated a label for the wrong country; regenerated manually.",
      "Outside window by 3 days; approved as goodwill (loyal member).");

// damaged_item
TEXTS(k_damaged_subjects, "Problem with my order", "Item not as expected", "Damaged delivery");
SCENARIOS(
    k_damaged,
    {"{product} arrived damaged",
     "The {product} from order {order} arrived with a cracked casing. The box was dented too. I "
     "have photos.",
     "My {product} arrived broken.",
     "I'm sorry it arrived like that. Could you send a photo of the damage and of the shipping "
     "label? That lets me "
     "claim it with {carrier} and send a replacement right away.",
     "Photos attached, of the casing and the label.",
     "Thanks for the photos. A replacement ships today by express, tracking {tracking}; no need to "
     "send the "
     "damaged one back.",
     "A replacement {product} is on its way by express, tracking {tracking}. There's no need to "
     "send the damaged "
     "one back; please recycle it."},
    {"{product} doesn't turn on",
     "My {product} doesn't turn on at all. I've tried a different socket and cable.",
     "My new {product} won't turn on.",
     "Sorry about that! Could you tell me the serial number on the bottom of the {product}? I want "
     "to check whether "
     "it's from a batch we already know about.",
     "Serial is on the sticker: SN-{order}.",
     "That serial is from a faulty batch. I've sent a new unit and a return label for the old one.",
     "That model had a faulty batch, so I've sent you a new unit and refunded the shipping. Sorry "
     "for the "
     "trouble."},
    {"Missing parts in my order", "Order {order} was missing the power adapter for the {product}.",
     "Missing parts in order {order}.",
     "Sorry about that. Is it only the adapter that's missing, or anything else from the box?",
     "Only the adapter, everything else is there.",
     "The missing adapter ships today in a separate parcel, tracking {tracking}.",
     "The missing adapter ships today in a separate parcel. Apologies for the hassle."});
TEXTS(k_damaged_notes, "Known faulty batch; replace without return.",
      "Third damaged {product} this week from the same warehouse. Flagged to logistics.");

// bug_report
TEXTS(k_bug_subjects, "Bug report", "Something is broken", "Bug: {error}", "App problem");
SCENARIOS(
    k_bug,
    {"App crashes when I open my orders",
     "Since the last update (version {version}) the app on {device} crashes every time I open 'My "
     "orders'.",
     "Your app crashes on {device}.",
     "Thanks for reporting this. Could you tell me the exact app version (Settings > About) and "
     "whether it happens "
     "on Wi-Fi and on mobile data?",
     "Version {version}, happens on both Wi-Fi and data.",
     "Thanks, that helps. The crash is fixed in the update that went out this afternoon; please "
     "update the app and "
     "it will work again.",
     "We found the cause: a problem with how the app loaded older orders. The fix is in the app "
     "store now. Please "
     "update and it should work again."},
    {"Error at checkout",
     "I keep getting {error} when I try to check out. I've tried clearing cookies and another "
     "browser.",
     "Getting {error} at checkout.",
     "Sorry about this. Could you tell me roughly when it last happened? The time helps our "
     "engineers find it in "
     "the logs.",
     "It last happened around lunchtime today. Screenshot attached.",
     "Got it, thanks. Our engineers found the error in the logs and fixed it; please try again.",
     "This was a temporary problem on our side that has now been fixed. Please try again and let "
     "me know if you see "
     "it again."},
    {"Basket empties itself",
     "The basket empties itself when I go to checkout on {device}. This happened three times "
     "today.",
     "My basket keeps emptying at checkout.",
     "Sorry about that. Could you try signing out and back in, and let me know if it still "
     "happens?",
     "Signed out and in, still the same.",
     "Thanks for trying. Our engineers found a broken session cookie and fixed it this afternoon; "
     "your basket will "
     "stay put now.",
     "Signing out and back in clears the broken session. Our engineers have also fixed the cause, "
     "so it won't come "
     "back."});
TEXTS(k_bug_notes, "Reproduced on {device} with version {version}.",
      "Matches the known issue from the last release.", "Couldn't reproduce; asked for details.");

// feature_request
TEXTS(k_feature_subjects, "Feature request", "Suggestion for the app", "Idea");
SCENARIOS(
    k_feature,
    {"Feature request: {feature}",
     "It would be really useful to have {feature}. I use the app every week and this is the one "
     "thing I miss.",
     "Could you add {feature}?",
     "Thanks for the idea! Could you tell me a bit more about how you'd use it, so I can pass the "
     "details to the "
     "product team?",
     "Mostly for reordering things we buy every month.",
     "That's really helpful, thank you. I've added it to the request with your use case.",
     "Thanks for the suggestion! I've passed it to our product team; it joins the requests they "
     "review every "
     "month. I can't promise a date, but every vote counts."},
    {"Any plans for {feature}?",
     "Any plans for {feature}? Several people in my team at {company} have asked for it.",
     "Any plans for {feature}?",
     "Good question. Is this for your personal account or your business account? The business "
     "roadmap is "
     "separate.",
     "Our business account.",
     "Thanks. It's on the business roadmap for later this year, and I've added your team's vote.",
     "Good news: {feature} is already on our roadmap for later this year. I've added your vote."});
TEXTS(k_feature_notes, "Logged in the product feedback board.", "Popular request this month.");

// setup_help
TEXTS(k_setup_subjects, "Help getting started", "Setup question", "How do I set this up?");
SCENARIOS(k_setup,
          {"Can't pair the {product}",
           "I just got the {product} and can't get it to connect to the app on {device}. It keeps "
           "saying 'device not "
           "found'.",
           "How do I connect my {product} to the app?",
           "Welcome aboard! Which app version are you on, and is Bluetooth allowed for the "
           "Larkspur app in your phone's "
           "settings?",
           "Bluetooth is on, app version {version}.",
           "Thanks! Bluetooth was on but not allowed for the app itself: turn it on under Settings "
           "> Apps > Larkspur and "
           "the {product} will show up.",
           "Hold the {product}'s power button for 5 seconds until the light blinks blue, then "
           "choose Add device in the "
           "app. It should find it straight away."},
          {"Setting up our business account",
           "We just opened a business account for {company}. How do I add my colleagues so they "
           "can order on the company "
           "card?",
           "How do I add colleagues to our account?",
           "Happy to help you get started. How many people do you want to add, and should they all "
           "be able to pay with "
           "the company card?",
           "We want to add {seats} people, all with card access.",
           "Great, I've added those {seats} colleagues for you; they'll get invitations today.",
           "You can add colleagues under Business > Team > Invite. Each person gets an email to "
           "set a password, and you "
           "decide whether they can use the company card."},
          {"Free delivery not applied",
           "I joined {plan} today. How do I make sure free delivery is applied? It still charged "
           "shipping on my first "
           "order.",
           "My membership isn't applying free delivery.",
           "Welcome! Did you join on the website or in the app? The app sometimes needs a sign-out "
           "to pick up a new "
           "membership.",
           "In the app, today.",
           "That's it then: sign out and back in and free delivery applies. I've refunded the "
           "shipping on your first "
           "order too.",
           "Your membership is now linked to your account, and I've refunded the shipping on your "
           "first order."});
TEXTS(k_setup_notes, "New business account; offered onboarding call.",
      "Pairing issue is the known Android permission prompt.");

// membership_question
TEXTS(k_member_subjects, "Question about Larkspur Plus", "Membership question", "Plus membership");
SCENARIOS(
    k_member,
    {"What's included in {plan}?",
     "What's the difference between {plan} and the regular membership? Is the free returns part "
     "included?",
     "Is free returns included in {plan}?",
     "Good question. Are you asking about your own account or a business account?",
     "My own account.",
     "For your own account: yes, free returns are included. I've sent you the full list of perks.",
     "{plan} includes free delivery on every order, free returns and early access to sales."},
    {"Switch to annual billing",
     "I'd like to switch from monthly to annual. Do I get credit for the month I've already paid?",
     "Can I switch to annual?",
     "You can. Shall I switch you now, with this month's payment credited against the annual "
     "price?",
     "Yes, switch me now please.",
     "Done: you're on annual billing and the {amount} you paid this month is credited.",
     "I've switched you to annual billing, and the {amount} you paid this month is credited."},
    {"Student discount?", "Do you have a student discount on memberships?",
     "Do you have a student discount?", "We do. Do you have a student email address we can verify?",
     "Yes, my university email.",
     "Great: sign up from the Plus page with your university email and the 50% discount applies "
     "automatically.",
     "We do: 50% off the annual plan with a valid student email. Sign up from the Plus page and "
     "it's applied "
     "automatically."});
TEXTS(k_member_notes, "Applied goodwill credit of one month.");

// bulk_order (enterprise only)
TEXTS(k_bulk_subjects, "Bulk order for {company}", "Volume pricing request", "Business order");
SCENARIOS(
    k_bulk,
    {"Quote for {seats} units of the {product}",
     "We'd like a quote for {seats} units of the {product} for our new office in {city}. Delivery "
     "in {days} weeks "
     "would be ideal.",
     "Quote for {seats} x {product}?",
     "Thanks for thinking of us. Could you confirm the delivery address and whether you need "
     "installation? I'll have "
     "a formal quote to you within a day.",
     "One address in {city}; no installation needed.",
     "Thanks. The formal quote is attached with a 12% volume discount, valid 30 days; delivery can "
     "start within "
     "{days} weeks.",
     "The quote for {seats} units of the {product} is attached, with a 12% volume discount, valid "
     "30 days. Reply "
     "with your PO number and we'll schedule delivery."},
    {"PO {invoice}: delivery schedule",
     "Our purchase order {invoice} was approved. Can you split the delivery across two sites and "
     "invoice on net-30 "
     "terms?",
     "Net-30 terms for PO {invoice}?",
     "Happy to set that up. Which cost centre should the invoice reference, and who signs for "
     "deliveries?",
     "Cost centre is on the PO; reception signs at both sites.",
     "All set: invoices will reference your cost centre, net-30 terms are active and both "
     "deliveries are booked.",
     "Net-30 terms are now active for {company} and PO {invoice} is scheduled in two deliveries. "
     "You'll get "
     "tracking for each."},
    {"Volume pricing for quarterly reorders",
     "Could you send volume pricing for the {product} in batches of {seats}? We reorder quarterly.",
     "Volume pricing for the {product}?",
     "Certainly. Would you like the quarterly reorders set up as a standing order, or priced each "
     "time?",
     "A standing order would be great.",
     "Done: a quarterly standing order for {seats} units at the volume price is set up; you can "
     "change it any time "
     "from the business portal.",
     "Our volume pricing for the {product} is attached: the discount grows at 25, 50 and 100 "
     "units. I've set up "
     "your account so it applies automatically."});
TEXTS(k_bulk_notes, "Discount above 10% approved by the account manager.",
      "Credit check passed for net-30.");

constexpr ReasonInfo k_reasons[] = {
    // tag, team, weight, business weight, type, priority (low, normal, high, urgent),
    // first-contact resolution, escalation, subjects, scenarios, notes
    {"billing_refund",
     k_billing,
     9,
     4,
     "question",
     {0.15, 0.6, 0.2, 0.05},
     0.45,
     0.02,
     k_refund_subjects,
     k_refund,
     k_refund_notes},
    {"invoice_copy",
     k_billing,
     4,
     10,
     "task",
     {0.45, 0.5, 0.05, 0},
     0.7,
     0,
     k_invoice_subjects,
     k_invoice,
     k_invoice_notes},
    {"cancel_subscription",
     k_billing,
     5,
     2,
     "task",
     {0.2, 0.7, 0.1, 0},
     0.55,
     0,
     k_cancel_subjects,
     k_cancel,
     k_cancel_notes},
    {"payment_failed",
     k_billing,
     4,
     3,
     "incident",
     {0.05, 0.55, 0.35, 0.05},
     0.4,
     0.08,
     k_payfail_subjects,
     k_payfail,
     k_payfail_notes},
    {"password_reset",
     k_technical,
     8,
     3,
     "question",
     {0.1, 0.7, 0.18, 0.02},
     0.6,
     0.02,
     k_password_subjects,
     k_password,
     k_password_notes},
    {"account_locked",
     k_security,
     4,
     2,
     "incident",
     {0, 0.35, 0.45, 0.2},
     0.3,
     0,
     k_locked_subjects,
     k_locked,
     k_locked_notes},
    {"fraud_report",
     k_security,
     2,
     1,
     "incident",
     {0, 0.1, 0.4, 0.5},
     0.25,
     0,
     k_fraud_subjects,
     k_fraud,
     k_fraud_notes},
    {"order_status",
     k_orders,
     14,
     8,
     "question",
     {0.2, 0.65, 0.13, 0.02},
     0.65,
     0,
     k_status_subjects,
     k_status,
     k_status_notes},
    {"shipping_delay",
     k_orders,
     9,
     6,
     "incident",
     {0.05, 0.6, 0.3, 0.05},
     0.4,
     0.03,
     k_delay_subjects,
     k_delay,
     k_delay_notes},
    {"address_change",
     k_orders,
     3,
     2,
     "task",
     {0.1, 0.6, 0.28, 0.02},
     0.55,
     0,
     k_address_subjects,
     k_address,
     k_address_notes},
    {"return_request",
     k_returns,
     7,
     3,
     "question",
     {0.25, 0.65, 0.1, 0},
     0.55,
     0,
     k_return_subjects,
     k_return,
     k_return_notes},
    {"damaged_item",
     k_returns,
     4,
     3,
     "incident",
     {0.05, 0.6, 0.3, 0.05},
     0.45,
     0.02,
     k_damaged_subjects,
     k_damaged,
     k_damaged_notes},
    {"bug_report",
     k_technical,
     7,
     6,
     "problem",
     {0.1, 0.55, 0.3, 0.05},
     0.3,
     0.3,
     k_bug_subjects,
     k_bug,
     k_bug_notes},
    {"feature_request",
     k_technical,
     3,
     5,
     "question",
     {0.6, 0.4, 0, 0},
     0.8,
     0,
     k_feature_subjects,
     k_feature,
     k_feature_notes},
    {"setup_help",
     k_onboarding,
     5,
     10,
     "question",
     {0.2, 0.7, 0.1, 0},
     0.5,
     0.02,
     k_setup_subjects,
     k_setup,
     k_setup_notes},
    {"membership_question",
     k_onboarding,
     4,
     1,
     "question",
     {0.3, 0.65, 0.05, 0},
     0.7,
     0,
     k_member_subjects,
     k_member,
     k_member_notes},
    {"bulk_order",
     k_enterprise,
     0,
     30,
     "task",
     {0.1, 0.6, 0.25, 0.05},
     0.35,
     0,
     k_bulk_subjects,
     k_bulk,
     k_bulk_notes},
};

// ---- customers -------------------------------------------------------------------------------

constexpr const char* k_americas_zones[] = {"America/Chicago", "America/New_York",
                                            "America/Denver",  "America/Los_Angeles",
                                            "America/Toronto", "America/Mexico_City"};
constexpr int k_americas_offsets[] = {-360, -300, -420, -480, -300, -360};
constexpr const char* k_americas_locales[] = {"en-US", "en-US", "en-US", "en-US", "en-CA", "es-MX"};
constexpr const char* k_americas_first[] = {
    "James",   "Mary",      "Robert",  "Patricia", "John",    "Jennifer", "Michael",   "Linda",
    "David",   "Elizabeth", "William", "Barbara",  "Richard", "Susan",    "Joseph",    "Jessica",
    "Thomas",  "Sarah",     "Chris",   "Karen",    "Matthew", "Nancy",    "Anthony",   "Lisa",
    "Mark",    "Betty",     "Steven",  "Ashley",   "Andrew",  "Kimberly", "Joshua",    "Emily",
    "Kenneth", "Donna",     "Brian",   "Michelle", "Juan",    "Sofia",    "Alejandro", "Camila",
    "Darnell", "Keisha",    "Hiroshi", "Mei",      "Raj",     "Anjali",   "Omar",      "Fatima",
    "Tyrone",  "Rosa",      "Ethan",   "Zoe",      "Caleb",   "Aria",     "Hunter",    "Layla",
    "Owen",    "Nora",      "Isaac",   "Riley"};
constexpr const char* k_americas_last[] = {
    "Smith",    "Johnson",   "Williams", "Brown",      "Jones",    "Garcia",   "Miller",
    "Davis",    "Rodriguez", "Martinez", "Hernandez",  "Lopez",    "Gonzalez", "Wilson",
    "Anderson", "Thomas",    "Taylor",   "Moore",      "Jackson",  "Martin",   "Lee",
    "Perez",    "Thompson",  "White",    "Harris",     "Sanchez",  "Clark",    "Ramirez",
    "Lewis",    "Robinson",  "Walker",   "Young",      "Allen",    "King",     "Wright",
    "Scott",    "Torres",    "Nguyen",   "Hill",       "Flores",   "Green",    "Adams",
    "Nelson",   "Baker",     "Hall",     "Rivera",     "Campbell", "Mitchell", "Carter",
    "Roberts",  "Kim",       "Patel",    "Washington", "Murphy",   "Cohen",    "O'Brien",
    "Yamamoto", "Singh",     "Tran",     "Brooks"};

constexpr const char* k_europe_zones[] = {"Europe/London", "Europe/Lisbon", "Europe/Madrid",
                                          "Europe/Berlin", "Europe/Paris",  "Europe/Amsterdam"};
constexpr int k_europe_offsets[] = {0, 0, 60, 60, 60, 60};
constexpr const char* k_europe_locales[] = {"en-GB", "pt-PT", "es-ES", "de-DE", "fr-FR", "nl-NL"};
constexpr const char* k_europe_first[] = {
    "Oliver",     "Amelia", "George",    "Isla",    "Harry",  "Ava",    "Jack",   "Emily",
    "Charlie",    "Poppy",  "Lucas",     "Emma",    "Hugo",   "Léa",    "Louis",  "Chloé",
    "Jules",      "Manon",  "Felix",     "Mia",     "Paul",   "Hannah", "Jonas",  "Lena",
    "Maximilian", "Leonie", "Daan",      "Sanne",   "Bram",   "Fleur",  "Javier", "Lucía",
    "Pablo",      "Carmen", "Alejandro", "Elena",   "Diego",  "Marta",  "João",   "Beatriz",
    "Rafael",     "Inês",   "Tomás",     "Matilde", "Giulia", "Marco",  "Sven",   "Ingrid",
    "Piotr",      "Zofia",  "Aoife",     "Cian",    "Niamh",  "Oisín",  "Freya",  "Arthur",
    "Margot",     "Théo",   "Clara",     "Noah"};
constexpr const char* k_europe_last[] = {
    "Smith",    "Jones",      "Taylor",  "Brown",    "Williams", "Wilson",    "Evans",
    "Thomas",   "Roberts",    "Walker",  "Müller",   "Schmidt",  "Schneider", "Fischer",
    "Weber",    "Meyer",      "Wagner",  "Becker",   "Martin",   "Bernard",   "Dubois",
    "Thomas",   "Robert",     "Richard", "Petit",    "Durand",   "García",    "Fernández",
    "González", "Rodríguez",  "López",   "Martínez", "Sánchez",  "Pérez",     "Silva",
    "Santos",   "Ferreira",   "Pereira", "de Jong",  "Jansen",   "de Vries",  "van den Berg",
    "Bakker",   "Visser",     "Rossi",   "Russo",    "Ferrari",  "Esposito",  "Murphy",
    "Kelly",    "O'Sullivan", "Walsh",   "Nowak",    "Kowalski", "Johansson", "Andersen",
    "Nielsen",  "Hansen",     "Costa",   "Moreau"};

constexpr const char* k_apac_zones[] = {"Asia/Manila", "Asia/Singapore", "Australia/Sydney"};
constexpr int k_apac_offsets[] = {480, 480, 600};
constexpr const char* k_apac_locales[] = {"en-PH", "en-SG", "en-AU"};
constexpr const char* k_apac_first[] = {
    "Jose",    "Maria",   "Mark",  "Angel",   "Joy",     "Paolo",  "Wei Ling",  "Jun Jie",
    "Hui Min", "Ravi",    "Priya", "Siti",    "Ahmad",   "Jack",   "Charlotte", "Liam",
    "Olivia",  "William", "Ruby",  "Lachlan", "Matilda", "Cooper", "Sienna",    "Kai",
    "Mei",     "Ken",     "Yuki",  "Arjun",   "Nur",     "Hana"};
constexpr const char* k_apac_last[] = {
    "Santos",   "Reyes",  "Cruz",   "Garcia", "Tan",    "Lim",     "Lee",   "Ng",
    "Wong",     "Chua",   "Kumar",  "Singh",  "Rahman", "Smith",   "Jones", "Williams",
    "Brown",    "Wilson", "Taylor", "Nguyen", "Tran",   "Kelly",   "Ryan",  "Mendoza",
    "Bautista", "Chen",   "Ong",    "Goh",    "Pillai", "Abdullah"};

const RegionInfo k_regions[] = {
    {"americas", 0.55, k_americas_zones, k_americas_offsets, k_americas_locales, k_americas_first,
     k_americas_last, "+1 512 555 01"},
    {"europe", 0.33, k_europe_zones, k_europe_offsets, k_europe_locales, k_europe_first,
     k_europe_last, "+44 7700 900"},
    {"asia_pacific", 0.12, k_apac_zones, k_apac_offsets, k_apac_locales, k_apac_first, k_apac_last,
     "+61 491 570"},
};

constexpr const char* k_company_prefixes[] = {
    "Northwind",  "Bluebird",  "Copperline", "Evergreen", "Harborview", "Ironbridge",  "Juniper",
    "Keystone",   "Lakeshore", "Maplewood",  "Oakridge",  "Pinecrest",  "Quarry Hill", "Redwood",
    "Silverline", "Stonegate", "Summit",     "Tidewater", "Brightpath", "Cedar",       "Clearwater",
    "Crescent",   "Driftwood", "Eastwind",   "Fairview",  "Foxglove",   "Granite",     "Greenfield",
    "Highland",   "Kestrel",   "Lighthouse", "Lumen",     "Marigold",   "Mosaic",      "Nimbus",
    "Orchard",    "Parkside",  "Polaris",    "Prairie",   "Riverbend",  "Rosewood",    "Saltmarsh",
    "Sandstone",  "Seabright", "Sparrow",    "Starling",  "Sunbeam",    "Thistle",     "Timberline",
    "Trailhead",  "Vantage",   "Wavecrest",  "Westbrook", "Willow",     "Windmill",    "Zephyr",
    "Alder",      "Amberly",   "Arrowhead",  "Aspen",     "Bayside",    "Beacon",      "Birchwood",
    "Blue Heron", "Canyon",    "Cobalt",     "Larchmont", "Meadowlark", "Old Mill",    "Red Fox",
    "Skyline",    "True North"};
constexpr const char* k_company_suffixes[] = {
    "Logistics",   "Labs",        "Foods",      "Outfitters", "Studio",   "Dental", "Architects",
    "Bakery",      "Consulting",  "Health",     "Realty",     "Fitness",  "Media",  "Analytics",
    "Hospitality", "Engineering", "Coffee Co.", "Design",     "Builders", "Legal",  "Academy",
    "Pharmacy",    "Motors",      "Clinic",     "Software",   "Travel",   "Energy", "Supply Co.",
    "Interiors",   "Partners",    "Group",      "Holdings"};
constexpr const char* k_consumer_domains[] = {"mailbox.example", "inbox.example", "post.example",
                                              "webmail.example", "fastmail.example"};

// ---- generic texts ---------------------------------------------------------------------------

TEXTS(k_chase, "Hi, any update on this? I haven't heard back yet.",
      "Just following up: I still need help with this.",
      "It's been a day and I haven't had a reply. Could someone look at this please?",
      "Hello? Is anyone looking at my request?",
      "Sorry to chase, but this is getting urgent for me.");
TEXTS(k_nudge, "Thanks. Any news?", "OK, let me know as soon as you know more.",
      "Is there any update on this?", "Still waiting on this. Any progress?",
      "Thanks for looking into it. When can I expect an answer?");
TEXTS(k_thanks, "Thanks, that's sorted!", "Perfect, thank you for the quick help.",
      "Got it, thanks {agent}!", "Great, appreciate it.", "That worked. Thank you!",
      "Thanks for sorting this out so fast.");
TEXTS(k_reopen, "Hi again, this is happening again.",
      "Sorry to reopen this, but it isn't fixed after all.", "The problem came back this morning.",
      "I thought this was sorted, but I've just checked and it isn't.",
      "This still hasn't worked. I'm starting to get frustrated.");
TEXTS(k_repeat, "I contacted you about this a few days ago and it still isn't resolved.",
      "Writing again about the same thing as before.",
      "Following up on my earlier request, since nothing has "
      "changed.",
      "This is the second time I'm asking about this.");
TEXTS(k_closing,
      "I haven't heard back from you, so I'm going to mark this as solved. If you still need help, "
      "just reply to "
      "this email and the ticket will reopen.",
      "Since we haven't heard from you in a few days I'll close this for now. Reply any time and "
      "we'll pick it up "
      "again.",
      "Just checking in one last time. I'll mark this as solved, but replying will reopen it.");
TEXTS(k_progress,
      "Thanks for your patience. I'm still looking into this and will update you as soon as I know "
      "more.",
      "Quick update: I've passed this to the right people and I'm waiting to hear back. I'll keep "
      "you posted.");
TEXTS(k_reopen_reply,
      "I'm sorry it's happening again. I've looked at your account more closely this time and "
      "found what was "
      "missed before; it's fixed properly now.",
      "Thanks for letting us know, and apologies that the first fix didn't hold. I've corrected it "
      "again and added "
      "a note so it won't be undone.",
      "Sorry about that. This time I've checked it end to end and everything is working as it "
      "should.");
TEXTS(k_tier2_first,
      "I'm {agent} from our Tier 2 team; my colleagues passed your ticket to me. I can reproduce "
      "the problem and "
      "I'm working with our engineers on it. I'll update you as soon as there's a fix.",
      "I've taken over your ticket from the first-line team. I've found the cause and our "
      "engineers are "
      "preparing a fix. Thanks for your patience.");
TEXTS(k_tier2_solve,
      "Good news: the fix for this is live. Please try again, and reply if anything still looks "
      "wrong.",
      "Our engineers have fixed the underlying problem, and I've checked your account myself: it's "
      "all working "
      "now. Thanks again for reporting it.");
TEXTS(k_chat_solve, "Glad I could help! Anything else I can do for you today?",
      "All sorted then. Have a great day!", "You're welcome, take care!");
TEXTS(k_note_escalate, "Escalating to Tier 2: reproduced, but needs access I don't have.",
      "Can't resolve at tier 1. Logs point to a backend error. Escalating.",
      "Customer has tried every standard fix. Sending to Tier 2.");
TEXTS(k_note_hold, "Waiting on engineering. Putting on hold until the fix ships.",
      "Vendor investigation opened; on hold until they respond.",
      "Bug filed with the app team; holding until the next release.");
TEXTS(k_note_generic, "Checked the order history: nothing unusual.",
      "Long-time customer, VIP handling please.",
      "Called the customer, no answer; left a voicemail.",
      "Similar ticket last week from the same customer.",
      "Customer sounded upset on the phone; be extra careful with tone.");
TEXTS(k_bios,
      "Joined {team} at our {city} site in {date}. Enjoys untangling tricky {skill} questions.",
      "{team} specialist at {city} since {date}. Speaks {languages}.",
      "Works in {team} ({city}), {skill} and customer empathy. Loves a well-written macro.",
      "Part of the {team} crew in {city} since {date}; on-call buddy for new joiners.");

#undef TEXTS
#undef SCENARIOS

constexpr const char* k_products[] = {
    "standing desk",    "espresso machine",  "noise-cancelling headphones",
    "air purifier",     "robot vacuum",      "hiking backpack",
    "smart thermostat", "cast-iron skillet", "electric kettle",
    "office chair",     "yoga mat",          "Bluetooth speaker",
    "blender",          "weighted blanket",  "desk lamp",
    "running shoes",    "carry-on suitcase", "coffee grinder",
    "air fryer",        "monitor arm"};
constexpr const char* k_plans[] = {"Plus Monthly", "Plus Annual", "Plus Family", "Business Starter",
                                   "Business Pro"};
constexpr const char* k_devices[] = {
    "iPhone 15",       "Pixel 8",           "Galaxy S23",       "iPad Air", "Chrome on Windows 11",
    "Safari on macOS", "Firefox on Ubuntu", "an Android tablet"};
constexpr const char* k_carriers[] = {"UPS", "FedEx", "DHL", "USPS", "DPD"};
constexpr const char* k_features[] = {"dark mode in the app",
                                      "a CSV export of order history",
                                      "shared wish lists",
                                      "delivery time slots",
                                      "gift wrapping options",
                                      "search in order history",
                                      "two-step verification with a security key",
                                      "scheduled reorders",
                                      "an API for business orders",
                                      "saved carts on every device"};
constexpr const char* k_cities[] = {"Austin",  "Denver",   "Portland", "Leeds",
                                    "Porto",   "Valencia", "Lyon",     "Utrecht",
                                    "Hamburg", "Cebu",     "Brisbane", "Toronto"};
constexpr const char* k_errors[] = {"error 503",
                                    "\"Something went wrong (E-1042)\"",
                                    "a blank white screen",
                                    "\"Payment declined (code 51)\"",
                                    "\"Session expired\"",
                                    "error 429"};

std::string digits(Rng& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + rng.range(i == 0 ? 1 : 0, 9)));
  return s;
}

}  // namespace

const SiteInfo& site_info(int site) {
  return k_sites[site];
}
const TeamInfo& team_info(int team) {
  return k_teams[team];
}
std::span<const ReasonInfo> reasons() {
  return k_reasons;
}
std::span<const RegionInfo> regions() {
  return k_regions;
}
Texts company_prefixes() {
  return k_company_prefixes;
}
Texts company_suffixes() {
  return k_company_suffixes;
}
Texts consumer_mail_domains() {
  return k_consumer_domains;
}

namespace text {
Texts customer_chase() {
  return k_chase;
}
Texts customer_nudge() {
  return k_nudge;
}
Texts customer_thanks() {
  return k_thanks;
}
Texts customer_reopen() {
  return k_reopen;
}
Texts customer_repeat() {
  return k_repeat;
}
Texts agent_closing() {
  return k_closing;
}
Texts agent_progress() {
  return k_progress;
}
Texts agent_reopen() {
  return k_reopen_reply;
}
Texts agent_tier2_first() {
  return k_tier2_first;
}
Texts agent_tier2_solve() {
  return k_tier2_solve;
}
Texts agent_chat_solve() {
  return k_chat_solve;
}
Texts note_escalate() {
  return k_note_escalate;
}
Texts note_hold() {
  return k_note_hold;
}
Texts note_generic() {
  return k_note_generic;
}
Texts bios() {
  return k_bios;
}
}  // namespace text

Facts make_facts(uint64_t seed, int64_t created_at) {
  Rng rng(seed);
  Facts f;
  f.order = "LK-" + digits(rng, 7);
  f.product = rng.pick(k_products);
  int cents = static_cast<int>(rng.range(1299, 64999));
  f.amount = "$" + std::to_string(cents / 100) + "." + (cents % 100 < 10 ? "0" : "") +
             std::to_string(cents % 100);
  f.plan = rng.pick(k_plans);
  f.last4 = digits(rng, 4);
  f.invoice = "INV-" + iso_date(created_at).substr(0, 4) + "-" + digits(rng, 6);
  f.device = rng.pick(k_devices);
  f.carrier = rng.pick(k_carriers);
  f.tracking = "1Z" + digits(rng, 6) + digits(rng, 6);
  f.feature = rng.pick(k_features);
  f.city = rng.pick(k_cities);
  f.error = rng.pick(k_errors);
  f.version = "5." + std::to_string(rng.range(8, 14)) + "." + std::to_string(rng.range(0, 4));
  f.seats = std::to_string(rng.range(2, 12) * 5);
  f.days = std::to_string(rng.range(3, 9));
  f.date = month_day(created_at - rng.range(1, 6) * k_day);
  return f;
}

std::string render(std::string_view tmpl, const Facts& f) {
  std::string out;
  out.reserve(tmpl.size() + 32);
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '{') {
      out.push_back(tmpl[i]);
      continue;
    }
    auto end = tmpl.find('}', i);
    if (end == std::string_view::npos) {
      out.append(tmpl.substr(i));
      break;
    }
    auto key = tmpl.substr(i + 1, end - i - 1);
    const std::string* v = nullptr;
    if (key == "first")
      v = &f.first;
    else if (key == "last")
      v = &f.last;
    else if (key == "company")
      v = &f.company;
    else if (key == "agent")
      v = &f.agent;
    else if (key == "team")
      v = &f.team;
    else if (key == "order")
      v = &f.order;
    else if (key == "product")
      v = &f.product;
    else if (key == "amount")
      v = &f.amount;
    else if (key == "plan")
      v = &f.plan;
    else if (key == "last4")
      v = &f.last4;
    else if (key == "invoice")
      v = &f.invoice;
    else if (key == "device")
      v = &f.device;
    else if (key == "carrier")
      v = &f.carrier;
    else if (key == "tracking")
      v = &f.tracking;
    else if (key == "feature")
      v = &f.feature;
    else if (key == "city")
      v = &f.city;
    else if (key == "error")
      v = &f.error;
    else if (key == "version")
      v = &f.version;
    else if (key == "seats")
      v = &f.seats;
    else if (key == "days")
      v = &f.days;
    else if (key == "date")
      v = &f.date;
    if (!v) {
      out.append(tmpl.substr(i, end - i + 1));
    } else {
      out.append(*v);
    }
    i = end;
  }
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z')
    out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

std::string slug(std::string_view name) {
  // The accented letters the name lists use, folded to ASCII.
  static const std::pair<std::string_view, char> k_folds[] = {
      {"á", 'a'}, {"à", 'a'}, {"â", 'a'}, {"ã", 'a'}, {"ä", 'a'}, {"ç", 'c'},
      {"é", 'e'}, {"è", 'e'}, {"ê", 'e'}, {"ë", 'e'}, {"í", 'i'}, {"ì", 'i'},
      {"î", 'i'}, {"ï", 'i'}, {"ñ", 'n'}, {"ó", 'o'}, {"ò", 'o'}, {"ô", 'o'},
      {"õ", 'o'}, {"ö", 'o'}, {"ú", 'u'}, {"ù", 'u'}, {"û", 'u'}, {"ü", 'u'},
      {"É", 'e'}, {"Á", 'a'}, {"Ó", 'o'}, {"Ö", 'o'}, {"Ü", 'u'}, {"ß", 's'}};
  std::string out;
  for (std::size_t i = 0; i < name.size();) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x80) {
      if (c >= 'A' && c <= 'Z')
        out.push_back(static_cast<char>(c - 'A' + 'a'));
      else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    bool folded = false;
    for (auto [from, to] : k_folds) {
      if (name.substr(i, from.size()) == from) {
        out.push_back(to);
        i += from.size();
        folded = true;
        break;
      }
    }
    if (!folded) ++i;
  }
  return out;
}

}  // namespace rapport::demo
