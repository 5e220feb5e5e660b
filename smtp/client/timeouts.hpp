// The timeouts of one outbound SMTP session (RFC 5321 §4.5.3.2): which wait a read is under, and their values.
// The conversation (conversation.hpp) names the kind for each read; the driver (delivery.hpp) applies the value;
// [queue] (smtp/queue/config.hpp) configures them. Plain data.
#pragma once
#include <chrono>
#include <cstdint>

namespace mssgw::smtp::client {

enum class timeout_kind : std::uint8_t { greeting, command, data_init, data_block, data_end };

// Timeouts of one outbound SMTP session (RFC 5321 §4.5.3.2); the driver applies them, [queue] configures them.
struct timeouts {
  std::chrono::milliseconds connect{30'000};        // TCP connect, per address (Postfix smtp_connect_timeout)
  std::chrono::milliseconds greeting{300'000};      // §4.5.3.2.1: initial 220, 5 min
  std::chrono::milliseconds command{300'000};       // §4.5.3.2.2-3, .7: EHLO, STARTTLS, MAIL, RCPT, QUIT, 5 min
  std::chrono::milliseconds tls_handshake{60'000};  // the TLS handshake
  std::chrono::milliseconds data_init{120'000};     // §4.5.3.2.4: the 354 reply to DATA, 2 min
  std::chrono::milliseconds data_block{180'000};    // §4.5.3.2.5: each write of the data, 3 min
  std::chrono::milliseconds data_end{600'000};      // §4.5.3.2.6: the reply to the final ".", 10 min

  std::chrono::milliseconds of(timeout_kind k) const;
};

}  // namespace mssgw::smtp::client
