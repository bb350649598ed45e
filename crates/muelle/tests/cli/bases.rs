//! First runs on a machine that cannot pull: muelle says so, builds the
//! offline stand-in from its recipe with progress, and runs it.

use crate::common::{Cleanup, Test, hello_project, project_name};

#[test]
fn an_unpullable_image_with_a_recipe_is_built_offline_and_run() {
    let fixture = hello_project();
    let project = project_name("bases");
    let stand_in = format!("muelle/{}:bookworm", fixture.standin);
    let _cleanup = Cleanup::new(&project).image(&stand_in);
    let output = Test::new(fixture.path(), &project)
        .args(&["up", "standin"])
        .output();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("muelle-test/unpullable:1 cannot be pulled (")
            && stderr.contains(&format!(
                "building the offline stand-in {stand_in} from Debian packages"
            )),
        "muelle did not say why it builds: {stderr}"
    );
    assert!(
        stderr.contains(&format!("✔ build {stand_in} from Debian packages built")),
        "{stderr}"
    );
    assert!(stderr.contains("✔ start standin healthy"), "{stderr}");
    let ps = Test::new(fixture.path(), &project).args(&["ps"]).success();
    assert!(
        ps.contains(&format!("{project}-standin-1")) && ps.contains("Up "),
        "{ps}"
    );

    let again = Test::new(fixture.path(), &project)
        .args(&["up", "standin"])
        .output();
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(
        !stderr.contains("cannot be pulled") && !stderr.contains("build muelle/"),
        "a second up rebuilt: {stderr}"
    );
}
