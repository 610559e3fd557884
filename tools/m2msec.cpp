// m2msec: the library's tools on the command line. `m2msec --help` lists the
// commands; `m2msec <command> --help` describes one. Exit codes: 0 done, 1
// refused (a handshake, a tag, a signature), 2 bad input; a failure is one line
// on stderr, "m2msec <command>: <where>: <what>".
#include "cli/derive.hpp"
#include "cli/jose.hpp"
#include "cli/store.hpp"
#include "cli/tls.hpp"
#include "m2msec/version.hpp"

int main(int argc, char** argv) {
  using namespace m2msec::cli;
  CLI::App app{"m2msec " M2MSEC_VERSION_STRING ": oneM2M security (TS-0003) on the command line"};
  app.require_subcommand(1);
  app.set_version_flag("--version", M2MSEC_VERSION_STRING);
  derive_args d;
  add_derive(app, d);
  std::string id_text;
  auto* id = app.add_subcommand("id", "what an identifier is: CSE-ID, AE-ID, KeID, KcID, KpsaID, Credential-ID, ...");
  id->add_option("text", id_text, "the identifier")->required();
  id->callback([&] { explain_id(id_text); });
  jose_args j;
  add_jose(app, j);
  tls_args t;
  add_tls(app, t);
  store_args s;
  add_store(app, s);
  std::string command = "m2msec";
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "m2msec: %s (see m2msec --help)\n", e.what());
    return bad_input;
  } catch (const failure& f) {
    for (const auto* sub = app.get_subcommands().empty() ? nullptr : app.get_subcommands().front(); sub != nullptr;
         sub = sub->get_subcommands().empty() ? nullptr : sub->get_subcommands().front())
      command += " " + sub->get_name();
    std::fprintf(stderr, "%s: %s: %s\n", command.c_str(), f.where.c_str(), f.what.c_str());
    return f.code;
  }
  return done;
}
