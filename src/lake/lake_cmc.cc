// dlake::Lake: the CoinMarketCap pipeline's entry points.

#include "cmc/extract_run.h"
#include "lake/lake_impl.h"

namespace dlake {

Result<cmc::ExtractReport> Lake::ExtractCmc(const cmc::ExtractRequest& request) {
  const Settings& settings = impl_->runtime->settings();
  cmc::ExtractOptions options;
  DLAKE_ASSIGN_OR_RETURN(options.client, cmc::ClientOptionsFromSettings(settings));
  options.now_ms = impl_->ctx.env->NowMs();
  options.monthly_credits = settings.Integer(setting::kCmcMonthlyCredits);
  options.credit_buffer = settings.Number(setting::kCmcCreditBuffer);
  return cmc::RunExtract(impl_->ctx, request, options);
}

Result<cmc::CreditReport> Lake::CmcCredits() {
  const Settings& settings = impl_->runtime->settings();
  return cmc::CreditsSpent(impl_->ctx, impl_->ctx.env->NowMs(),
                           settings.Integer(setting::kCmcMonthlyCredits),
                           settings.Number(setting::kCmcCreditBuffer));
}

}  // namespace dlake
