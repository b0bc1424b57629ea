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

Result<lakehouse::TransformReport> Lake::TransformCmc(const lakehouse::TransformRequest& request) {
  lakehouse::SilverContext ctx{impl_->ctx.root, impl_->runtime, impl_->manifest.get()};
  return lakehouse::TransformSilver(ctx, request);
}

Result<PipelineStatus> Lake::CmcStatus() {
  PipelineStatus status;
  DLAKE_ASSIGN_OR_RETURN(status.endpoints, cmc::ExtractStatus(impl_->ctx, impl_->ctx.env->NowMs()));
  lakehouse::SilverContext ctx{impl_->ctx.root, impl_->runtime, impl_->manifest.get()};
  DLAKE_ASSIGN_OR_RETURN(status.tables, lakehouse::SilverStatus(ctx));
  return status;
}

}  // namespace dlake
