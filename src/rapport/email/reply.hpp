#pragma once
// What the customer wrote this time: quoted history and signatures cut from a reply, so a ticket
// reads as a conversation. The original message stays stored and viewable, so a cut too many
// loses nothing.
#include <string>
#include <string_view>

namespace rapport::email {

// Cuts plain text at the first quote header or signature: "On ... wrote:" (and the German,
// French and Spanish forms), "-----Original Message-----", an Outlook "From:/Sent:" block, the
// "-- " signature separator, "Sent from my ..." lines, and a trailing block of "> " lines.
// Returns the text unchanged when the cut would leave nothing.
std::string strip_quoted_text(std::string_view text);

// Cuts HTML at the first quote container mail clients write (Gmail's gmail_quote, Apple Mail's
// <blockquote type="cite">, Outlook's divRplyFwdMsg / appendonsend, Thunderbird's
// moz-cite-prefix, Yahoo's yahoo_quoted).
std::string strip_quoted_html(std::string_view html);

}  // namespace rapport::email
