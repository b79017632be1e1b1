// Why a field is written (WritePolicy) and why it still disagrees (ExplainDrift),
// checked on the situations docs/operations.md describes, each built the way the
// engine builds its input: the reconcile's decision is taken first (DecideField),
// then explained. A property: a decision that writes nothing and leaves the values
// apart always has a reason other than `pending`; one that writes is `pending`.
#include "runtime/sync/explain.h"

#include <gtest/gtest.h>

namespace accord::sync {
namespace {

ir::ConflictPolicy Policy(ir::ConflictKind k, schema::System s = schema::System::kSalesforce) {
  ir::ConflictPolicy p;
  p.kind = k;
  p.side = s;
  return p;
}

// An identity rule (`Title <-> jobtitle`, or one way when `flows` says so) with `blank ignore`.
FieldInput Rule(std::optional<std::pair<Text, Text>> base, Text sf, Text hs, ir::ConflictPolicy policy,
                bool to_sf = true, bool to_hs = true) {
  FieldInput in;
  in.has_base = base.has_value();
  if (base) in.base[0] = base->first, in.base[1] = base->second;
  in.cur[0] = sf;
  in.cur[1] = hs;
  in.flows[0] = to_sf;
  in.flows[1] = to_hs;
  for (int to = 0; to < 2; ++to) {
    if (!in.flows[to]) continue;
    const Text& src = in.cur[1 - to];
    in.toward[to].skip = IsBlank(src);
    in.toward[to].text = src;
  }
  in.policy = policy;
  return in;
}

const ir::ConflictPolicy kTwoWay = Policy(ir::ConflictKind::kTwoWay);
const std::string kFields[2] = {"Title", "jobtitle"};
const bool kNone[2] = {false, false};

DriftExplanation Explain(const FieldInput& in, const std::string& held = "") {
  return ExplainDrift(in, DecideField(in), kFields, kNone, held);
}

TEST(Explain, AgreeingValuesHaveNoDrift) {
  EXPECT_EQ(Explain(Rule({{"a", "a"}}, "a", "a", kTwoWay)).reason, DriftReason::kNone);
  EXPECT_EQ(Explain(Rule({{"a", "a"}}, std::nullopt, "", kTwoWay)).reason, DriftReason::kNone);  // both blank
  // a transform: what the rule makes of Salesforce's value is HubSpot's (lowerAscii(trim(_)))
  FieldInput in = Rule({{" A@X.com", "a@x.com"}}, " A@X.com", "a@x.com", kTwoWay);
  in.toward[1].text = "a@x.com";
  EXPECT_TRUE(Agree(in));
  EXPECT_EQ(Explain(in).reason, DriftReason::kNone);
}

TEST(Explain, AChangeNotYetWrittenIsPending) {
  DriftExplanation x = Explain(Rule({{"a", "a"}}, "b", "a", kTwoWay));
  EXPECT_EQ(x.reason, DriftReason::kPending);
  EXPECT_EQ(x.detail, "the next pass writes hubspot jobtitle = \"b\" (two_way: only salesforce changed)");
  // the same change on a pair that waits on its error-log entry is held by the entry
  x = Explain(Rule({{"a", "a"}}, "b", "a", kTwoWay), "PropertyValues: INVALID_OPTION");
  EXPECT_EQ(x.reason, DriftReason::kError);
  EXPECT_NE(x.detail.find("PropertyValues: INVALID_OPTION"), std::string::npos) << x.detail;
}

TEST(Explain, OneWayRuleKeepsTheTargetsOwnEdit) {
  // Title -> jobtitle: HubSpot edited jobtitle; Salesforce did not change, nothing flows back
  DriftExplanation x = Explain(Rule({{"a", "a"}}, "a", "edited", kTwoWay, /*to_sf=*/false, /*to_hs=*/true));
  EXPECT_EQ(x.reason, DriftReason::kOneWay);
  EXPECT_EQ(x.detail,
            "the rule flows salesforce -> hubspot only: hubspot jobtitle was changed in hubspot and keeps \"edited\" "
            "until salesforce Title changes");
}

TEST(Explain, DontSyncKeepsEachSidesValue) {
  EXPECT_EQ(Explain(Rule({{"a", "a"}}, "b", "c", Policy(ir::ConflictKind::kDontSync))).reason, DriftReason::kDontSync);
}

TEST(Explain, ABlankIsNeverWrittenUnderBlankIgnore) {
  // Salesforce cleared Title: the blank does not travel, HubSpot keeps its value
  FieldInput in = Rule({{"a", "a"}}, std::nullopt, "a", kTwoWay);
  FieldDecision d = DecideField(in);
  EXPECT_EQ(d.write_to, -1);
  DriftExplanation x = ExplainDrift(in, d, kFields, kNone, "");
  EXPECT_EQ(x.reason, DriftReason::kBlankIgnore);
  EXPECT_EQ(x.detail,
            "salesforce Title is blank and the rule never writes a blank (blank ignore): hubspot jobtitle "
            "keeps \"a\"");
  // and the pass after, with the shadows the decision left: still blank_ignore, not "unchanged"
  EXPECT_EQ(Explain(Rule({{d.base[0], d.base[1]}}, std::nullopt, "a", kTwoWay)).reason, DriftReason::kBlankIgnore);
}

TEST(Explain, ForwardOnlyLifecycleNeverMovesBack) {
  auto rank = [](const Text& t) { return !t ? -1 : *t == "lead" ? 0 : *t == "customer" ? 2 : 1; };
  FieldInput in = Rule({{"lead", "lead"}}, "lead", "customer", kTwoWay, /*to_sf=*/false, /*to_hs=*/true);
  in.forward_only_rank = rank;
  // HubSpot moved on to customer; the one-way rule from Salesforce would take it back to lead
  DriftExplanation x = Explain(in);
  EXPECT_EQ(x.reason, DriftReason::kForwardOnly);
  EXPECT_EQ(x.detail,
            "hubspot jobtitle is a forward-only lifecycle: \"lead\" is a lower stage than \"customer\" and "
            "is never written");
  // Salesforce changes to a lower stage than HubSpot's: forward only keeps customer
  in = Rule({{"customer", "customer"}}, "lead", "customer", kTwoWay, false, true);
  in.forward_only_rank = rank;
  FieldDecision d = DecideField(in);
  EXPECT_EQ(d.write_to, -1);
  EXPECT_EQ(ExplainDrift(in, d, kFields, kNone, "").reason, DriftReason::kForwardOnly);
}

TEST(Explain, AValueThatCannotBeWrittenIsAnError) {
  FieldInput in = Rule({{"a", "a"}}, "b", "a", kTwoWay);
  in.toward[1].error = true;  // `via` a table without the value
  DriftExplanation x = Explain(in);
  EXPECT_EQ(x.reason, DriftReason::kError);
  // a write the engine refuses after the decision (a blank toward a required Salesforce field)
  in = Rule({{"a", "a"}}, "a", "", kTwoWay);
  in.toward[0].skip = false;  // `blank write`
  FieldDecision d = DecideField(in);
  ASSERT_EQ(d.write_to, 0);
  const bool refused[2] = {true, false};
  EXPECT_EQ(ExplainDrift(in, d, kFields, refused, "").reason, DriftReason::kError);
}

TEST(Explain, PendingIffTheDecisionWrites) {
  // every combination of shadows and current values over three texts and a blank, every policy
  const Text v[] = {std::nullopt, Text("a"), Text("b")};
  const ir::ConflictPolicy policies[] = {kTwoWay, Policy(ir::ConflictKind::kPrefer),
                                         Policy(ir::ConflictKind::kPreferUnlessBlank, schema::System::kHubSpot),
                                         Policy(ir::ConflictKind::kDontSync)};
  for (const auto& pol : policies)
    for (const Text& b0 : v)
      for (const Text& b1 : v)
        for (const Text& c0 : v)
          for (const Text& c1 : v)
            for (int flows = 1; flows < 4; ++flows) {
              FieldInput in = Rule({{b0, b1}}, c0, c1, pol, flows & 1, flows & 2);
              FieldDecision d = DecideField(in);
              DriftExplanation x = ExplainDrift(in, d, kFields, kNone, "");
              EXPECT_EQ(x.reason == DriftReason::kPending, d.write_to >= 0 && !Agree(in));
              if (x.reason != DriftReason::kNone) {
                EXPECT_FALSE(x.detail.empty());
                EXPECT_FALSE(Agree(in));
              }
            }
}

TEST(Explain, WritePolicyNamesTheDecidingPolicy) {
  FieldInput in = Rule({{"a", "a"}}, "b", "a", kTwoWay);
  EXPECT_EQ(WritePolicy(in, DecideField(in)), "two_way: only salesforce changed");
  in = Rule({{"a", "a"}}, "a", "c", kTwoWay, /*to_sf=*/true, /*to_hs=*/false);
  EXPECT_EQ(WritePolicy(in, DecideField(in)), "one_way hubspot -> salesforce: only hubspot changed");
  in = Rule(std::nullopt, "x", std::nullopt, Policy(ir::ConflictKind::kPrefer));
  EXPECT_EQ(WritePolicy(in, DecideField(in)), "prefer salesforce: a new link: only salesforce has a value");
  // a conflict: the policy's own reason
  in = Rule({{"a", "a"}}, "b", "c", Policy(ir::ConflictKind::kPrefer, schema::System::kHubSpot));
  FieldDecision d = DecideField(in);
  ASSERT_TRUE(d.conflict);
  EXPECT_EQ(WritePolicy(in, d), "prefer hubspot");
  EXPECT_EQ(DriftReasonName(DriftReason::kBlankIgnore), "blank_ignore");
}

}  // namespace
}  // namespace accord::sync
