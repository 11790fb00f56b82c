#include "chem/standardizer.hpp"

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include <GraphMol/MolOps.h>
#include <GraphMol/MolStandardize/Charge.h>
#include <GraphMol/MolStandardize/Fragment.h>
#include <GraphMol/MolStandardize/Metal.h>
#include <GraphMol/MolStandardize/MolStandardize.h>
#include <GraphMol/MolStandardize/Normalize.h>
#include <GraphMol/RWMol.h>
#include <RDGeneral/Invariant.h>

#include "chem/structure_impl.hpp"

namespace molvault::chem {
namespace {

namespace ms = RDKit::MolStandardize;

// One prepared set of RDKit's standardizer objects; used by one thread at a time. charge_parent
// performs the same steps as RDKit's ms::chargeParent (checked equal on 300 NCI molecules), which
// builds all of these objects on every call.
class Engine {
public:
    std::unique_ptr<RDKit::RWMol> charge_parent(const RDKit::ROMol& input) {
        const auto cleaned = cleanup(input);
        const std::unique_ptr<RDKit::ROMol> largest(chooser_.choose(*cleaned));
        const std::unique_ptr<RDKit::ROMol> uncharged(uncharger_.uncharge(*largest));
        return cleanup(*uncharged);
    }

private:
    // ms::cleanup: RemoveHs, MetalDisconnector, Normalizer, Reionizer, AssignStereochemistry.
    std::unique_ptr<RDKit::RWMol> cleanup(const RDKit::ROMol& input) {
        RDKit::RWMol mol(input);
        RDKit::MolOps::removeHs(mol);
        metal_.disconnect(mol);
        const std::unique_ptr<RDKit::ROMol> normalized(normalizer_->normalize(mol));
        const std::unique_ptr<RDKit::ROMol> reionized(reionizer_->reionize(*normalized));
        auto out = std::make_unique<RDKit::RWMol>(*reionized);
        RDKit::MolOps::assignStereochemistry(*out);
        return out;
    }

    std::unique_ptr<ms::Normalizer> normalizer_{
        ms::normalizerFromParams(ms::defaultCleanupParameters)};
    std::unique_ptr<ms::Reionizer> reionizer_{
        ms::reionizerFromParams(ms::defaultCleanupParameters)};
    ms::MetalDisconnector metal_;
    ms::LargestFragmentChooser chooser_{ms::defaultCleanupParameters.preferOrganic};
    ms::Uncharger uncharger_{ms::defaultCleanupParameters.doCanonical};
};

// Idle engines. An engine is taken out for one call and put back after it, so there are never
// more engines than the peak number of concurrent callers (the worker pool's size).
class EnginePool {
public:
    class Lease {
    public:
        Lease(EnginePool& pool, std::unique_ptr<Engine> engine)
            : pool_(pool), engine_(std::move(engine)) {}
        ~Lease() { pool_.give_back(std::move(engine_)); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Engine* operator->() { return engine_.get(); }

    private:
        EnginePool& pool_;
        std::unique_ptr<Engine> engine_;
    };

    Lease borrow() {
        {
            const std::lock_guard lock(mutex_);
            if (!idle_.empty()) {
                auto engine = std::move(idle_.back());
                idle_.pop_back();
                return {*this, std::move(engine)};
            }
        }
        return {*this, std::make_unique<Engine>()};  // built outside the lock
    }

private:
    void give_back(std::unique_ptr<Engine> engine) {
        const std::lock_guard lock(mutex_);
        idle_.push_back(std::move(engine));
    }

    std::mutex mutex_;
    std::vector<std::unique_ptr<Engine>> idle_;
};

EnginePool& engine_pool() {
    static EnginePool pool;  // a cache of immutable rules; no observable state
    return pool;
}

}  // namespace

Expected<Standardized, ChemError> standardize(const Structure& input) {
    const auto copy = with_mol(input, [](const RDKit::ROMol& mol) {
        return std::make_unique<RDKit::RWMol>(mol);
    });
    try {
        auto lease = engine_pool().borrow();
        auto parent = StructureAccess::make(lease->charge_parent(*copy));
        const bool changed = parent.canonical_smiles() != input.canonical_smiles();
        return Standardized{std::move(parent), changed};
    } catch (const RDKit::MolSanitizeException& e) {
        return Unexpected(error_from_sanitize(e));
    } catch (const Invar::Invariant&) {
        return Unexpected(ChemError{
            ChemError::kOther, "RDKit could not standardize this structure", std::nullopt});
    }
}

}  // namespace molvault::chem
